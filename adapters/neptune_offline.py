"""Neptune's 1.x client in offline mode, as both the tracking and versioning stages use it.

Offline is the only mode left: the hosted service shut down on 2026-03-05 (see
reports/facts/tracking.toml). Nothing the client could capture about the machine is
captured, so a run records only what the adapter logs.
"""

from __future__ import annotations


def offline_run(project: str, **fields):
    """A ``neptune.init_run`` in offline mode with every automatic capture turned off."""
    import neptune

    return neptune.init_run(
        project=project,
        mode="offline",
        capture_hardware_metrics=False,
        capture_stdout=False,
        capture_stderr=False,
        capture_traceback=False,
        source_files=[],
        git_ref=False,
        **fields,
    )
