"""What the two Git-based tools (DVC, Git LFS) share: a Git repository per project.

Version ids are Git commit ids. ``versions`` lists the commits that changed the file
Git tracks for the data (DVC's ``.dvc`` file, Git LFS's pointer).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from adapters.versioning.base import Versioner

IDENTITY = {"user.name": "bakeoff", "user.email": "bakeoff@localhost"}


class GitVersioner(Versioner):
    """A Versioner whose working copy is a Git repository on branch ``main``."""

    pointer: ClassVar[str] = ""  # the file Git tracks for the data, relative to the repo
    hash_pattern: ClassVar[str] = ""  # regex with one group: the data's hash in the pointer

    def git(self, *args: str, cwd: Path | None = None, counted: bool = True) -> str:
        return self.run(["git", *args], cwd, label=command_label("git", args), counted=counted)

    def init_repository(self) -> None:
        """Create the working copy as a Git repository with an identity of its own."""
        self.data_path.parent.mkdir(parents=True)
        self.step("git init", lambda: self.git("init", "-q", "-b", "main"))
        for key, value in IDENTITY.items():
            self.step(
                f"git config {key} (in the repository only)",
                lambda k=key, v=value: self.git("config", k, v),
            )

    def commit_pointer(self, message: str, *paths: str) -> str:
        """Commit the pointer (and ``paths``) on main; return the new commit id."""
        self.git("add", self.pointer, *paths)
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD", counted=False).strip()

    def checkout_pointer(self, version: str) -> None:
        """Take the pointer as ``version`` had it; HEAD stays on main for the next commit."""
        self.git("checkout", "-q", version, "--", self.pointer)

    def versions(self) -> list[str]:
        log = self.git("rev-list", "--reverse", "main", "--", self.pointer, counted=False)
        return log.split()

    def version_record(self, version: str) -> str:
        return self.git("show", f"{version}:{self.pointer}", counted=False)

    def hash_in(self, pointer: str) -> str:
        """The data's hash as a pointer file's text records it."""
        return re.search(self.hash_pattern, pointer).group(1)

    def version_with_hash(self, digest: str) -> str | None:
        """The newest version whose pointer records ``digest``."""
        records = ((v, self.version_record(v)) for v in reversed(self.versions()))
        return next((v for v, pointer in records if self.hash_in(pointer) == digest), None)


def command_label(program: str, args: tuple[str, ...]) -> str:
    """How a user would name the command: ``git commit``, ``git lfs track``, ``dvc remote add``."""
    words = args[:2] if args[0] in ("lfs", "remote", "config") else args[:1]
    return " ".join((program, *words))
