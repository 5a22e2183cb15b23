"""The versioning interface: commit a file's versions, list them, get any one back.

A versioner keeps one tracked file, ``data_path``, in its working copy. The workload
writes each version of the data set there and calls ``commit``; ``restore`` puts an
earlier version back in place. Optional operations (a teammate's fresh clone, reading
a version without checking it out, diff) raise ``NotSupported`` unless the tool has them.

Each operation's docstring states its contract: what is true when the call returns. A
version is *shared* when another process, holding only the version id and the remote (a
teammate's clone, a training job), gets its exact bytes back; fsync (power-loss
durability) is asked of no tool: the baseline and Git leave it to the operating system.
A tool whose call cannot meet its contract says so in ``not_equivalent`` (operation ->
why); its timing is then shown but not compared. The conformance suite checks the commit
contract from another process.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from adapters.base import Adapter

DATA_FILE = "data.csv"


class CommandFailed(RuntimeError):
    """A tool's command exited with an error; the message is the tool's own error line."""


class Versioner(Adapter):
    """Versions one data file with one tool."""

    stage = "versioning"
    operations = (
        "commit",
        "versions",
        "restore",
        "identify",
        "clone_restore",
        "read_version",
        "diff",
        "stored_bytes",
        "collect_garbage",
    )
    remote: Path | None = None  # where the tool keeps the shared copy of every version
    # operation -> one sentence: why this tool's call does not meet the operation's contract
    not_equivalent: ClassVar[dict[str, str]] = {}
    # the operations a user writes as Python with this tool (the others are commands)
    python_operations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, workdir: Path | None = None):
        super().__init__(workdir)
        self.executed: list[str] = []  # every command (or action) really run, in order

    @property
    def data_path(self) -> Path:
        """The tracked file in the working copy: write a version here, then ``commit``."""
        return self.workdir / "work" / DATA_FILE

    @abc.abstractmethod
    def commit(self, message: str) -> str:
        """Record the current ``data_path`` as a new version and share it; return its id.
        Contract: the version is in the remote/store: another process with the id and the
        remote gets its exact bytes back (``clone_restore``), and ``versions`` lists it."""

    @abc.abstractmethod
    def versions(self) -> list[str]:
        """Ids of the committed versions, oldest first, as the project/store lists them."""

    @abc.abstractmethod
    def restore(self, version: str) -> Path:
        """Put ``version`` back at ``data_path`` and return that path; raise if unknown.
        Contract: the file's sha256 equals the committed version's; a damaged or missing
        object is an error, never a wrong file."""

    @abc.abstractmethod
    def identify(self, path: Path) -> str | None:
        """The id of the version whose bytes equal the file at ``path``, or None."""

    def clone_restore(self, version: str, destination: Path) -> Path:
        """A teammate's path: a fresh copy of the project in ``destination``, data pulled
        from the remote only, ``version`` checked out; returns the restored file. Contract:
        exact bytes (sha256), or an error; no wrong file is left in place."""
        raise self.not_supported("clone_restore")

    def read_version(self, version: str) -> bytes:
        """The bytes of ``version`` without changing the working copy."""
        raise self.not_supported("read_version")

    def diff(self, old: str, new: str) -> list[str]:
        """Tracked files that differ between two versions."""
        raise self.not_supported("diff")

    def collect_garbage(self, keep: str) -> None:
        """Free the storage of every version but ``keep`` (the one a team still needs), as
        the tool does it. Contract: ``keep`` still comes back exact from the remote."""
        raise self.not_supported("collect_garbage")

    def stored_bytes(self) -> int:
        """Bytes on disk in the remote/store (every version ever committed)."""
        if self.remote is None:
            raise self.not_supported("stored_bytes", "it keeps no copy of the data")
        return directory_bytes(self.remote)

    def user_files(self) -> dict[str, str]:
        """Config files a user keeps in the repository for this tool (name -> text), as the
        tool wrote them; none unless the tool has some."""
        return {}

    def object_files(self) -> list[Path]:
        """The files in the remote that hold data (what a corrupted remote would damage)."""
        raise self.not_supported("object_files")

    def environment(self) -> dict[str, str]:
        """Environment for the tool's commands: configs, caches and telemetry kept in workdir."""
        return {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(self.workdir / "gitconfig"),
            "GIT_TERMINAL_PROMPT": "0",
        }

    def run(
        self, command: Sequence[str], cwd: Path | None = None, label: str = "", counted=True
    ) -> str:
        """Run one of the tool's commands; CommandFailed with the tool's error line on failure.

        ``counted`` commands are the ones a user types; bookkeeping (reading ids) is not.
        """
        return self.run_bytes(command, cwd, label, counted).decode("utf-8", "replace")

    def run_bytes(
        self,
        command: Sequence[str],
        cwd: Path | None = None,
        label: str = "",
        counted=True,
        stdin: bytes | None = None,
    ) -> bytes:
        label = label or " ".join(command[:2])
        if counted:
            self.executed.append(label)
        done = subprocess.run(
            list(command),
            cwd=cwd or self.data_path.parent,
            env=self.environment(),
            input=stdin,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise CommandFailed(f"`{label}` failed: {_error_line(done)}")
        return done.stdout

    def version_record(self, version: str) -> str:
        """What the tool keeps in the project for ``version`` (pointer file, manifest, log)."""
        raise self.not_supported("version_record")


def _error_line(done: subprocess.CompletedProcess) -> str:
    """The tool's own error, as one line: its error/warning lines, else its last line."""
    text = (done.stderr + done.stdout).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if line.lower().startswith(("error", "fatal", "warning"))]
    return " / ".join((wanted or lines[-1:])[:3]) or f"exit code {done.returncode}"


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def directory_bytes(directory: Path) -> int:
    """Apparent size of every file under ``directory``."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and not p.is_symlink())


@contextlib.contextmanager
def scoped_environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for an in-process tool call, then put the old ones back."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
