"""A content-addressed store by hand: what a team writes instead of adopting a tool.

Files are stored once under their sha256 (``store/objects/ab/abcd…``); each version is a
small JSON manifest (file, sha256, size, message, parent) whose own hash is the version
id; ``store/versions`` lists the ids in order. Every read checks the sha256, so a damaged
or missing object is an error, never a wrong file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from adapters.versioning.base import DATA_FILE, Versioner, file_digest

_CHUNK = 1 << 20


class StoreError(RuntimeError):
    """The store lacks an object or holds a damaged one."""


class ContentStoreVersioner(Versioner):
    name = "baseline"
    python_operations = (
        "commit", "versions", "restore", "identify", "clone_restore", "read_version", "diff",
    )  # fmt: skip

    def __init__(self, workdir: Path | None = None):
        super().__init__(workdir)
        self.remote = self.workdir / "store"

    def setup(self) -> None:
        self.step("create the store and the working directory", self._create)

    def _create(self) -> None:
        (self.remote / "objects").mkdir(parents=True)
        (self.remote / "manifests").mkdir()
        (self.remote / "versions").touch()
        self.data_path.parent.mkdir(parents=True)

    def commit(self, message: str) -> str:
        digest = self._action("sha256 of the file", file_digest, self.data_path)
        target = self._object(digest)
        if not target.exists():
            self._action("copy the file into the store", _copy_atomically, self.data_path, target)
        versions = self.versions()
        manifest = {
            "file": DATA_FILE,
            "sha256": digest,
            "size": target.stat().st_size,
            "message": message,
            "parent": versions[-1] if versions else None,
        }
        return self._action("write the manifest", self._write_manifest, manifest)

    def versions(self) -> list[str]:
        return (self.remote / "versions").read_text(encoding="utf-8").split()

    def restore(self, version: str) -> Path:
        self._action(
            "copy the object back, checking its sha256", self._copy_out, version, self.data_path
        )
        return self.data_path

    def identify(self, path: Path) -> str | None:
        digest = file_digest(path)
        return next(
            (v for v in reversed(self.versions()) if self._manifest(v)["sha256"] == digest), None
        )

    def collect_garbage(self, keep: str) -> None:
        raise self.not_supported("collect_garbage", "the content store never deletes an object")

    def clone_restore(self, version: str, destination: Path) -> Path:
        destination.mkdir(parents=True)
        restored = destination / DATA_FILE
        self._action("copy the object out, checking its sha256", self._copy_out, version, restored)
        return restored

    def read_version(self, version: str) -> bytes:
        manifest = self._manifest(version)
        data = self._action("read the object", self._object(manifest["sha256"]).read_bytes)
        _check(hashlib.sha256(data).hexdigest(), manifest["sha256"], version)
        return data

    def diff(self, old: str, new: str) -> list[str]:
        changed = self._manifest(old)["sha256"] != self._manifest(new)["sha256"]
        return [DATA_FILE] if changed else []

    def version_record(self, version: str) -> str:
        return (self.remote / "manifests" / f"{version}.json").read_text(encoding="utf-8")

    def object_files(self) -> list[Path]:
        return sorted(p for p in (self.remote / "objects").rglob("*") if p.is_file())

    def _action(self, description: str, function, *args):
        self.executed.append(description)
        return function(*args)

    def _object(self, digest: str) -> Path:
        return self.remote / "objects" / digest[:2] / digest

    def _manifest(self, version: str) -> dict:
        if version not in self.versions():
            raise StoreError(f"version {version} is not in the store")
        return json.loads(self.version_record(version))

    def _write_manifest(self, manifest: dict) -> str:
        text = json.dumps(manifest, sort_keys=True, indent=1)
        version = hashlib.sha256(text.encode()).hexdigest()[:16]
        (self.remote / "manifests" / f"{version}.json").write_text(text, encoding="utf-8")
        with open(self.remote / "versions", "a", encoding="utf-8") as log:
            log.write(version + "\n")
        return version

    def _copy_out(self, version: str, target: Path) -> None:
        """Copy and hash in one pass; the target is replaced only if the sha256 matches."""
        expected = self._manifest(version)["sha256"]
        source = self._object(expected)
        if not source.exists():
            raise StoreError(f"the store has no object {expected[:12]} for version {version}")
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        with open(source, "rb") as reader, open(partial, "wb") as writer:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                writer.write(chunk)
        try:
            _check(digest.hexdigest(), expected, version)
        except StoreError:
            partial.unlink()
            raise
        os.replace(partial, target)


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _check(actual: str, expected: str, version: str) -> None:
    if actual != expected:
        raise StoreError(
            f"the stored object for version {version} is damaged: sha256 {actual[:12]}, "
            f"expected {expected[:12]}"
        )
