"""Plain Python: the steps in order, the fan-out on a process pool, one retry per step.

Run as ``python baseline_pipeline.py sales|chain-N RUN_DIR [--sequential] [--resume]``.
Writes ``RUN_DIR/records.json``; ``--resume`` reuses the steps that succeeded before.
"""

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scenarios import pipeline
from scenarios.model import CONFIGS

RETRIES = 1


def attempt(name: str, done: dict, function, *args) -> tuple[object, list[dict]]:
    """Call ``function`` with up to RETRIES retries; reuse a step that succeeded before."""
    if name in done:
        return done[name], [{"name": name, "state": "reused", "attempts": 0}]
    records = []
    for tries in range(1, RETRIES + 2):
        record = {"name": name, "attempts": tries, "started": time.time()}
        try:
            record.update(state="success", result=function(*args), ended=time.time())
            return record["result"], [*records, record]
        except Exception as error:
            records.append({**record, "state": "failed", "error": str(error), "ended": time.time()})
    return None, records


class Runner:
    """Runs steps through ``attempt`` and keeps every record; stops at a failed step."""

    def __init__(self, done: dict):
        self.done, self.records = done, []

    def step(self, name: str, function, *args):
        return self.collect([attempt(name, self.done, function, *args)])[0]

    def collect(self, outcomes: list[tuple[object, list[dict]]]) -> list:
        for _, records in outcomes:
            self.records += records
        failed = [records[-1] for _, records in outcomes if records[-1]["state"] == "failed"]
        if failed:
            raise RuntimeError(f"step {failed[0]['name']} failed: {failed[0]['error']}")
        return [result for result, _ in outcomes]


def sales(run_dir: str, runner: Runner, workers: int) -> None:
    raw = runner.step("load", pipeline.load, run_dir)
    raw = runner.step("validate", pipeline.validate, run_dir, raw)
    split = runner.step("features", pipeline.features, run_dir, raw)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        branches = [
            pool.submit(
                attempt, f"train[{config}]", runner.done, pipeline.train, run_dir, split, config
            )
            for config in CONFIGS
        ]
        scores = runner.collect([branch.result() for branch in branches])
    best = runner.step("pick_best", pipeline.pick_best, run_dir, scores)
    runner.step("evaluate", pipeline.evaluate, run_dir, best, split)
    runner.step("save", pipeline.save, run_dir, best)


def chain(run_dir: str, runner: Runner, length: int) -> None:
    for index in range(length):
        runner.step(f"noop_{index}", pipeline.noop, run_dir)


def main(argv: list[str]) -> int:
    name, run_dir = argv[0], argv[1]
    path = Path(run_dir) / "records.json"
    earlier = json.loads(path.read_text())["steps"] if "--resume" in argv else []
    runner, error = Runner({r["name"]: r["result"] for r in earlier if r["state"] == "success"}), ""
    try:
        if name == "sales":
            sales(run_dir, runner, 1 if "--sequential" in argv else len(CONFIGS))
        else:
            chain(run_dir, runner, int(name.removeprefix("chain-")))
    except RuntimeError as failure:
        error = str(failure)
    state = "failed" if error else "success"
    path.write_text(json.dumps({"state": state, "error": error, "steps": runner.records}))
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
