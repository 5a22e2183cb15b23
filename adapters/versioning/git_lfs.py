"""Git LFS (Debian's ``git-lfs``): the data file tracked by LFS, pushed to a bare repository
reached through a ``file://`` URL (Git LFS's standalone file transfer, no LFS server).

Each version is ``git add`` + ``git commit`` + ``git push``; a restore is
``git checkout <version> -- data.csv``; a teammate runs ``git clone`` + ``git checkout``.
``git lfs install`` writes its filters to a Git config file inside the temporary directory.
"""

from __future__ import annotations

from pathlib import Path

from adapters.versioning.base import DATA_FILE
from adapters.versioning.gitproject import GitVersioner


class GitLfsVersioner(GitVersioner):
    name = "git_lfs"
    pointer = DATA_FILE
    hash_pattern = r"oid sha256:([0-9a-f]{64})"

    def __init__(self, workdir: Path | None = None):
        super().__init__(workdir)
        self.remote = self.workdir / "remote.git"

    @property
    def remote_url(self) -> str:
        return self.remote.as_uri()

    def setup(self) -> None:
        self.step(
            "git init --bare (the shared remote)",
            lambda: self.git(
                "init", "-q", "--bare", "-b", "main", str(self.remote), cwd=self.workdir
            ),
        )
        self.init_repository()
        self.step("git lfs install", lambda: self.git("lfs", "install"))
        self.step(f"git lfs track {DATA_FILE}", lambda: self.git("lfs", "track", DATA_FILE))
        self.step(
            "git remote add origin file://…",
            lambda: self.git("remote", "add", "origin", self.remote_url),
        )
        self.step("git commit .gitattributes", lambda: self.commit_attributes())
        self.step("git push -u origin main", lambda: self.git("push", "-q", "-u", "origin", "main"))

    def commit_attributes(self) -> None:
        self.git("add", ".gitattributes")
        self.git("commit", "-q", "-m", "track the data with Git LFS")

    def commit(self, message: str) -> str:
        version = self.commit_pointer(message)
        self.git("push", "-q", "origin", "main")
        return version

    def restore(self, version: str) -> Path:
        self.checkout_pointer(version)  # the smudge filter puts the bytes back
        return self.data_path

    def identify(self, path: Path) -> str | None:
        pointer = self.git("lfs", "pointer", f"--file={path}", counted=False)
        return self.version_with_hash(self.hash_in(pointer))

    def clone_restore(self, version: str, destination: Path) -> Path:
        self.git("clone", "-q", self.remote_url, str(destination), cwd=self.workdir)
        self.git("checkout", "-q", version, cwd=destination)
        return destination / DATA_FILE

    def read_version(self, version: str) -> bytes:
        pointer = self.run_bytes(["git", "show", f"{version}:{DATA_FILE}"], label="git show")
        return self.run_bytes(["git", "lfs", "smudge"], label="git lfs smudge", stdin=pointer)

    def diff(self, old: str, new: str) -> list[str]:
        return self.git("diff", "--name-only", old, new).split()

    def collect_garbage(self, keep: str) -> None:
        self.restore(keep)
        self.git("lfs", "prune")  # Git LFS's own clean-up: the local copies only

    def user_files(self) -> dict[str, str]:
        return {".gitattributes": (self.data_path.parent / ".gitattributes").read_text()}

    def object_files(self) -> list[Path]:
        return sorted(p for p in (self.remote / "lfs" / "objects").rglob("*") if p.is_file())
