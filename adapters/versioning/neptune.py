"""Neptune's artifact tracking (``track_files``) in offline mode.

Offline, ``track_files`` queues one operation that holds the file's path and nothing
else: no bytes, no hash. Every read (``download``, ``fetch_hash``) needs the server, and
the client raises its offline-mode error; the hosted service ended on 2026-03-05 (see
reports/facts/versioning.toml). This adapter shows exactly that: what each commit
recorded, and the tool's own error for each read, as "not supported".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from adapters.neptune_offline import offline_run
from adapters.versioning.base import Versioner, scoped_environment

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NeptuneVersioner(Versioner):
    name = "neptune"
    not_equivalent = {
        "commit": "not shared: offline track_files queues only the file's path (no bytes, "
        "no hash) for `neptune sync` to the hosted service, which shut down; nothing can "
        "give the version back",
    }
    python_operations = ("commit",)

    def setup(self) -> None:
        self.data_path.parent.mkdir(parents=True)
        self.run_handle = self.step("neptune.init_run(mode='offline')", self._start_run)
        self.recorded: list[str] = []

    def _start_run(self):
        import neptune

        with scoped_environment({"NEPTUNE_DATA_DIRECTORY": str(self._offline_directory())}):
            return offline_run("bakeoff/versioning", api_token=neptune.ANONYMOUS_API_TOKEN)

    def commit(self, message: str) -> str:
        version = f"data/versions/{len(self.recorded)}"
        self.executed.append("run[...].track_files(path)")
        self.run_handle[version].track_files(str(self.data_path), wait=True)
        self.recorded.append(version)
        return version

    def versions(self) -> list[str]:
        return list(self.recorded)

    def restore(self, version: str) -> Path:
        self._offline_read(
            "restore", lambda: self.run_handle[version].download(str(self.data_path.parent))
        )
        return self.data_path

    def identify(self, path: Path) -> str | None:
        for version in self.recorded:
            self._offline_read("identify", self.run_handle[version].fetch_hash)
        raise self.not_supported("identify", "Neptune's artifact hash is not the file's hash")

    def clone_restore(self, version: str, destination: Path) -> Path:
        """A teammate's read: a run of their own, the version's files downloaded into
        ``destination``."""
        destination.mkdir(parents=True)
        teammate = self._start_run()
        try:
            self._offline_read(
                "clone_restore",
                lambda: teammate[version].download(str(destination)),
                "offline, another process's run holds nothing it recorded",
            )
        finally:
            teammate.stop()
        return destination / self.data_path.name

    def read_version(self, version: str) -> bytes:
        destination = self.workdir / "read"
        self._offline_read(
            "read_version", lambda: self.run_handle[version].download(str(destination))
        )
        return (destination / self.data_path.name).read_bytes()

    def version_record(self, version: str) -> str:
        """The queued operation for ``version`` in the offline run's log, as Neptune wrote it."""
        self.run_handle.wait()  # flush the queue to the log file
        for log in sorted(self._offline_directory().rglob("data-*.log")):
            for line in log.read_text(encoding="utf-8").splitlines():
                if json.loads(line)["obj"].get("path") == version.split("/"):
                    return line
        raise self.not_supported("version_record", f"nothing recorded for {version}")

    def close(self) -> None:
        handle = getattr(self, "run_handle", None)
        if handle is not None:
            handle.stop()
            self.run_handle = None
        super().close()

    def _offline_read(self, operation: str, read, context: str = ""):
        """``read()``; the client's offline refusals (a fetch from the server, a field only
        another process's local log holds) become NotSupported in its own words."""
        from neptune.exceptions import MissingFieldException, NeptuneOfflineModeFetchException

        try:
            return read()
        except (NeptuneOfflineModeFetchException, MissingFieldException) as error:
            words = _first_sentence(error)
            reason = f"{context}: {words}" if context else words
            raise self.not_supported(operation, reason) from error

    def _offline_directory(self) -> Path:
        return self.workdir / ".neptune"


def _first_sentence(error: Exception) -> str:
    """Neptune's message without its colour codes and banner: the first line of prose."""
    lines = (_ANSI.sub("", line).strip() for line in str(error).splitlines())
    return next((line for line in lines if line and not line.startswith("-")), type(error).__name__)
