"""Metaflow: a FlowSpec run as a subprocess, local datastore and metadata in a temp dir.

Each step runs in its own process; the fan-out is a ``foreach``; ``@retry`` retries;
``resume`` clones the steps that finished and runs the rest. Records come back through
the Client API (``flows/metaflow_records.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

from adapters.orchestration.base import FLOWS, Orchestrator, Outcome, RunResult
from adapters.orchestration.subprocess_tool import outcome_from, python, tail, tool_env

SALES = FLOWS / "metaflow_sales.py"
RECORDS = FLOWS / "metaflow_records.py"


def chain_source(length: int) -> str:
    """A flow of ``length`` no-op steps: Metaflow reads steps from source, so write them."""
    names = ["start", *(f"noop_{i}" for i in range(1, length - 1)), "end"]
    steps = [
        f"    @step\n    def {name}(self):\n        pipeline.noop()\n"
        + (f"        self.next(self.{after})\n" if after else "")
        for name, after in zip(names, [*names[1:], None], strict=True)
    ]
    return (
        "from metaflow import FlowSpec, step\n\nfrom scenarios import pipeline\n\n\n"
        f"class Chain{length}Flow(FlowSpec):\n"
        + "\n".join(steps)
        + f"\n\nif __name__ == '__main__':\n    Chain{length}Flow()\n"
    )


class MetaflowOrchestrator(Orchestrator):
    name = "metaflow"
    pipeline_files = (SALES,)

    def deploy(self) -> None:
        root = self.workdir / "metaflow"
        self.env = self.step(
            "set METAFLOW_USER, local datastore/metadata and cache paths",
            lambda: tool_env(**self.settings()),
        )
        root.mkdir()
        self.flows = {"sales": (SALES, "SalesFlow")}
        for length in (10, 50):  # bakeoff's no-op chains: not a user's setup step
            path = root / f"chain_{length}.py"
            path.write_text(chain_source(length))
            self.flows[f"chain-{length}"] = (path, f"Chain{length}Flow")

    def ui_url(self) -> str:
        raise self.not_supported(
            "ui_url",
            "Metaflow's UI is a separate service (metaflow-ui, with the metadata service it "
            "reads), not part of the metaflow package",
        )

    def settings(self) -> dict[str, str]:
        root = self.workdir / "metaflow"
        return {
            "METAFLOW_USER": "bakeoff",
            "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(root),
            "METAFLOW_CLIENT_CACHE_PATH": str(root / "cache"),
            "METAFLOW_DEFAULT_DATASTORE": "local",
            "METAFLOW_DEFAULT_METADATA": "local",
        }

    def launch(self, name: str, run_dir: Path, parallel: bool) -> Outcome:
        params = ("--run_dir", str(run_dir)) if name == "sales" else ()
        workers = () if parallel else ("--max-workers", "1")
        return self._outcome(name, run_dir, "run", *params, *workers)

    def relaunch(self, earlier: RunResult) -> Outcome:
        return self._outcome(
            earlier.pipeline, earlier.run_dir, "resume", "--origin-run-id", earlier.outcome.run_id
        )

    def _outcome(self, name: str, run_dir: Path, command: str, *args: str) -> Outcome:
        flow, flow_name = self.flows[name]
        id_file = run_dir / f"metaflow-{command}-run-id"
        done = python(
            flow,
            "--no-pylint",
            command,
            "--run-id-file",
            str(id_file),
            *args,
            env=self.env,
            cwd=self.workdir / "metaflow",
        )
        if not id_file.exists():
            raise RuntimeError(f"metaflow {command} did not start a run ({tail(done)})")
        run_id = id_file.read_text().strip()
        records = python(RECORDS, flow_name, run_id, env=self.env, cwd=self.workdir)
        if records.returncode:
            raise RuntimeError(f"reading the run through the Client API failed ({tail(records)})")
        return outcome_from(json.loads(records.stdout), run_id)
