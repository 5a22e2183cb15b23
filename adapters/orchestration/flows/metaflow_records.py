"""Print one Metaflow run's tasks as JSON, read back through the Client API.

Usage: ``python metaflow_records.py FLOW_NAME RUN_ID``. The datastore location comes
from METAFLOW_DATASTORE_SYSROOT_LOCAL, which Metaflow reads at import time.
"""

import json
import sys

from metaflow import Run, namespace

RENAMED = {"start": "load", "end": "save"}  # Metaflow's fixed first and last steps


def record(step_name: str, task) -> dict:
    meta = task.metadata_dict
    branch = meta.get("foreach-stack", [""])[-1].partition("=")[2] if step_name == "train" else ""
    state = "success" if task.successful else "failed"
    return {
        "name": f"{step_name}[{branch}]" if branch else RENAMED.get(step_name, step_name),
        "state": "reused" if "origin-task-id" in meta else state,
        "attempts": int(meta.get("attempt", 0)) + 1,
        "started": task.created_at.timestamp(),
        "ended": task.finished_at.timestamp() if task.finished_at else None,
        "error": (str(task.exception or "").strip().splitlines() or [""])[-1],
    }


def main(flow: str, run_id: str) -> None:
    namespace(None)
    run = Run(f"{flow}/{run_id}")
    steps = [record(step.id, task) for step in run for task in step]
    print(json.dumps({"state": "success" if run.successful else "failed", "steps": steps}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
