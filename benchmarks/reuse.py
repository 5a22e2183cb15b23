"""Which trials a run may reuse instead of measuring, and which answers it may carry over.

A trial (stage or set-up, tool, rows) is reused when the record the report shows for it
(the newest one for its machine, section, tool and rows in the results folder) is ``ok``,
not from a smoke run, took no longer than today's ``--time-limit``, and its key
(benchmarks/keys.py), computed again now over the same files and distributions, is
unchanged. Failed, not run and smoke records are never reused; ``--force`` names what to
measure again (asv keys results by machine and benchmark source; benchopt caches runs by
module hash and never caches a failure).

Answers about a tool version (feature probes, detection quality) have a key of their own:
the trial's, less the timed rounds and the timing harness (``keys.TIMING_HARNESS``; the
probe rule, benchmarks/probes.py, stays in). A trial measured again because only those changed runs
without its probes, and the stored answers are carried into its record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from adapters import setups
from benchmarks.keys import Today, answer_key, changes, project_files
from reports.results import Record, load_all

if TYPE_CHECKING:
    from benchmarks.runner import Plan


@dataclass(frozen=True)
class Force:
    """What ``--force`` names: "all", a stage ("validation") or a tool ("tracking.mlflow")."""

    names: frozenset[str] = frozenset()

    def covers(self, stage: str, tool: str) -> bool:
        base = setups.base_tool(tool)
        return bool({"all", stage, f"{stage}.{tool}", f"{stage}.{base}"} & self.names)


@dataclass
class Stored:
    """A record in the results folder and the file it is in."""

    record: Record
    file: str
    smoke: bool = False

    @property
    def date(self) -> str:
        return measured_on(self.record, self.file)

    @property
    def answered_on(self) -> str:
        """The day its answers were given (an earlier one if they were carried to it)."""
        return self.record.answers.get("from", {}).get("measured_at", "")[:10] or self.date


def measured_on(record: Record, file: str = "") -> str:
    """The day a record was measured: its own time, else its file's (named by run start)."""
    if record.measured_at:
        return record.measured_at[:10]
    stamp = re.match(r"(\d{4}-\d{2}-\d{2})", file)
    return stamp.group(1) if stamp else "an earlier run"


def newest(folder: Path) -> dict[tuple, Stored]:
    """The record the report shows for each (machine, section, tool, rows): the newest."""
    chosen = {}
    if not Path(folder).is_dir():
        return chosen
    for path, results in load_all([Path(folder)]):
        host, smoke = results.environment.get("machine"), bool(results.environment.get("smoke"))
        for record in results.records:
            chosen[(host, record.section, record.tool, record.rows)] = Stored(
                record, path.name, smoke
            )
    return chosen


@dataclass
class Decision:
    """What to do with one trial."""

    reuse: Stored | None = None  # an ok record measured under today's key: nothing to run
    answers: Stored | None = None  # a record whose answers still hold: run without probes
    stored: Stored | None = None  # the record the report shows for this trial now
    why: str = ""  # why it runs: "never measured here", "--force", "x.py changed"


class Reuse:
    """The stored records of a results folder, matched against today's keys."""

    def __init__(self, stored: dict[tuple, Stored], force: Force = Force(), today=None):
        self.stored, self.force = stored, force
        self.today = today or Today()

    @classmethod
    def load(cls, folder: Path, force: Force = Force()) -> Reuse:
        return cls(newest(folder), force)

    def decide(self, plan: Plan, tool: str, rows: int) -> Decision:
        slot = self.stored.get((self.today.machine["host"], plan.section, tool, rows))
        if plan.smoke:  # a smoke run measures everything
            return Decision(stored=slot)
        if self.force.covers(plan.stage, tool):
            return Decision(stored=slot, why="--force")
        if slot is None:
            return Decision(why="never measured here")
        record = slot.record
        if record.status != "ok" or slot.smoke:
            last = "a smoke run" if slot.smoke else record.status.replace("_", " ")
            return Decision(stored=slot, why=f"last time: {last}")
        if not record.key:
            return Decision(stored=slot, why="stored without its key, by an older bakeoff")
        current = self.today.key(plan, tool, rows, record.key.get("code", {}),
                                 record.key.get("packages", {}))  # fmt: skip
        if current == record.key:
            if (record.wall_seconds or 0) > plan.time_limit:
                return Decision(stored=slot, why="it took longer than today's --time-limit")
            return Decision(reuse=slot, stored=slot)
        same_answers = answer_key(current) == answer_key(record.key)
        answers = slot if same_answers and record.answers.get("parts") else None
        return Decision(answers=answers, stored=slot, why=changes(record.key, current))

    def complete(self, records: list[Record], plan: Plan, tool: str, rows: int,
                 imported: dict, decision: Decision) -> None:  # fmt: skip
        """Give a trial's new records their time, key and answers (carried or their own)."""
        carried = decision.answers.record if decision.answers else None
        files = project_files(imported.get("files", []), plan.stage, bench_folder(plan.stage))
        if carried is not None:  # the probes' code was keyed when they ran: keep it keyed
            files = sorted(set(files) | set(carried.key.get("code", {})))
        distributions = self.today.installed.of_modules(imported.get("modules", []))
        key = self.today.key(plan, tool, rows, files, distributions)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for record in records:
            record.measured_at, record.key = now, key
            if carried is not None and record.status == "ok":
                carry_answers(record, carried)
            elif record.answers.get("parts"):
                record.answers["from"] = {"version": self.today.tool_version(plan.stage, tool),
                                          "measured_at": now}  # fmt: skip


def bench_folder(stage: str) -> Path:
    from benchmarks import runner

    return runner.bench_file(stage).parent


def carry_answers(record: Record, source: Record) -> None:
    """Copy the answers ``source`` holds into ``record`` (what ``record`` measured itself
    wins), saying where they came from."""
    parts = source.answers["parts"]
    for part, values in parts.get("set", {}).items():
        target = getattr(record, part)
        for name, value in values.items():
            target.setdefault(name, value)
    for part, values in parts.get("append", {}).items():
        target = getattr(record, part)
        for name, items in values.items():
            target.setdefault(name, []).extend(items)
    record.answers = {"parts": parts, "from": source.answers.get("from", {}), "carried": True}
