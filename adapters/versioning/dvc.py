"""DVC: a real Git repository and DVC project, a local directory as the DVC remote.

Each version is ``dvc add`` + ``git add`` + ``git commit`` + ``dvc push``; a restore is
``git checkout <version> -- data.csv.dvc`` + ``dvc checkout``; a teammate runs
``git clone`` + ``git checkout`` + ``dvc pull``.
DVC's analytics are off and its global, system and site-cache directories point into
the temporary directory, so nothing is written outside it.

The remote is configured with ``verify true`` (DVC re-hashes what it downloads; the
default is ``false``). DVC's ``-q`` is not used: it would hide DVC's own error messages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from adapters.versioning.base import DATA_FILE, file_digest, scoped_environment
from adapters.versioning.gitproject import GitVersioner, command_label


class DvcVersioner(GitVersioner):
    name = "dvc"
    pointer = f"{DATA_FILE}.dvc"
    hash_pattern = r"md5: ([0-9a-f]{32})"

    def __init__(self, workdir: Path | None = None):
        super().__init__(workdir)
        self.remote = self.workdir / "dvc-remote"

    def environment(self) -> dict[str, str]:
        private = self.workdir / "dvc-dirs"
        return {
            **super().environment(),
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(private / "site-cache"),
            "DVC_GLOBAL_CONFIG_DIR": str(private / "global"),
            "DVC_SYSTEM_CONFIG_DIR": str(private / "system"),
        }

    def dvc(self, *args: str, cwd: Path | None = None, counted: bool = True) -> str:
        command = [sys.executable, "-m", "dvc", *args]
        return self.run(command, cwd, label=command_label("dvc", args), counted=counted)

    def setup(self) -> None:
        self.init_repository()
        self.step("dvc init", lambda: self.dvc("init"))
        self.step(
            "dvc config core.analytics false", lambda: self.dvc("config", "core.analytics", "false")
        )
        self.remote.mkdir()
        self.step(
            "dvc remote add -d (a local directory)",
            lambda: self.dvc("remote", "add", "-d", "store", str(self.remote)),
        )
        self.step(
            "dvc remote modify store verify true",
            lambda: self.dvc("remote", "modify", "store", "verify", "true"),
        )
        self.step("git commit the DVC project", lambda: self.commit_project())

    def commit_project(self) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "DVC project")

    def commit(self, message: str) -> str:
        self.dvc("add", DATA_FILE)
        version = self.commit_pointer(message, ".gitignore")
        self.dvc("push")
        return version

    def restore(self, version: str) -> Path:
        self.checkout_pointer(version)
        self.dvc("checkout", self.pointer)
        return self.data_path

    def identify(self, path: Path) -> str | None:
        return self.version_with_hash(file_digest(path, "md5"))  # DVC 3: MD5 of the bytes

    def clone_restore(self, version: str, destination: Path) -> Path:
        self.git("clone", "-q", str(self.data_path.parent), str(destination))
        self.git("checkout", "-q", version, cwd=destination)
        self.dvc("pull", cwd=destination)
        return destination / DATA_FILE

    def read_version(self, version: str) -> bytes:
        import dvc.api

        self.executed.append("dvc.api.read(rev=...)")
        with scoped_environment(self.environment()):  # same private dirs in-process
            return dvc.api.read(DATA_FILE, repo=str(self.data_path.parent), rev=version, mode="rb")

    def diff(self, old: str, new: str) -> list[str]:
        changes = json.loads(self.dvc("diff", "--json", old, new) or "{}")
        return sorted({entry["path"] for kind in changes.values() for entry in kind})

    def collect_garbage(self, keep: str) -> None:
        self.restore(keep)
        self.dvc("gc", "--workspace", "--cloud", "--force")

    def user_files(self) -> dict[str, str]:
        project = self.data_path.parent
        return {name: (project / name).read_text(encoding="utf-8")
                for name in (".dvc/config", ".dvcignore")}  # fmt: skip

    def object_files(self) -> list[Path]:
        return sorted(p for p in (self.remote / "files").rglob("*") if p.is_file())
