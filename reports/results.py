"""The results file: a versioned JSON document, written atomically, never overwritten.

One file per ``bakeoff run``, rewritten atomically after each trial (so an interrupted run
keeps every finished trial). ``records`` hold one entry per (stage, tool, rows):
its status (``ok``, ``failed`` or ``not_run``), the reason, the setup steps it really
executed, peak memory, per-operation timing statistics (seconds), correctness values
(0..1 rates and checks against ground truth), other measured figures (sizes, rates,
speed-ups), feature probes and stage-specific details, and the key it was measured under
(``bakeoff run`` reuses an ``ok`` record whose key still matches). ``stages`` holds what
each stage declares about itself (its name, question, unit, place in the pipeline,
set-ups and tool names), as the run's checkout had it: the report takes its words from
there, the newest declaration of a stage winning. The report reads only these files.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FORMAT = 5  # 5: a record's set-up is its ``setup`` (``variant`` until 4, renamed on load)
READABLE_FORMATS = (1, 2, 3, 4, 5)  # older formats lack the fields added since; they load as empty
STATUSES = ("ok", "failed", "not_run")
STAT_FIELDS = ("median", "iqr", "mean", "stdev", "min", "max", "rounds")
# ``Record.details`` key of the errors a tool raised under load or concurrency, in its own
# words: [[operation, words, count], ...] (counted; a measured operation is never retried by
# bakeoff, and a read of a tool's state it did again says so in its operation)
TOOL_ERRORS = "tool_errors"


def stats(samples: list[float]) -> dict:
    """The STAT_FIELDS of ``samples`` (seconds): the one place they are computed."""
    import statistics

    several = len(samples) > 1
    quartiles = statistics.quantiles(samples, n=4, method="inclusive") if several else samples * 3
    return {
        "median": statistics.median(samples),
        "iqr": quartiles[2] - quartiles[0],
        "mean": statistics.fmean(samples),
        "stdev": statistics.stdev(samples) if several else 0.0,
        "min": min(samples),
        "max": max(samples),
        "rounds": len(samples),
    }


def base_tool(tool: str) -> str:
    """The registered tool behind a set-up's row: 'mlflow' for 'mlflow+postgresql' (as
    adapters/setups.py names them; the report reads names from results, not adapters)."""
    return tool.split("+", 1)[0]


def fact_key(stage: str, tool: str) -> str:
    """The key of a tool's install evidence and dated facts: '<stage>.mlflow' also for the
    stage's team section ('<stage>-team') and its 'mlflow+postgresql' row."""
    return f"{stage.split('-', 1)[0]}.{base_tool(tool)}"


class ResultsError(ValueError):
    """A results file bakeoff cannot read; the message says what to do."""


@dataclass
class Record:
    """What one (stage, tool, rows) trial produced."""

    stage: str
    tool: str
    rows: int
    status: str = "ok"
    reason: str = ""
    setup_steps: list[dict] = field(default_factory=list)  # {"description", "seconds"}
    peak_rss_mb: float | None = None
    timings: dict[str, dict] = field(default_factory=dict)  # operation -> STAT_FIELDS
    correctness: dict[str, float] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)  # other figures: sizes, rates
    features: dict[str, dict] = field(default_factory=dict)  # name -> {"ok": bool, "evidence"}
    details: dict = field(default_factory=dict)  # stage-specific tables, notes, images
    wall_seconds: float | None = None
    # operation -> why this tool's timing does not meet the operation's contract (left out
    # of speed and scale); the timing itself is still shown
    not_equivalent: dict[str, str] = field(default_factory=dict)
    # what a user of the tool writes: label ("rules in Pandera's form") -> lines of code/config
    user_code: dict[str, int] = field(default_factory=dict)
    # imports of the tool's package that the adapter needs: "module" or "module:name"
    tool_imports: list[str] = field(default_factory=list)
    # "" for the stage's default set-up; otherwise the set-up it ran in ("team": servers on
    # PostgreSQL/Redis with concurrent clients, "spark": data checks on Spark), whose rows
    # (clients, or rows on Spark) are reported in their own section beside the default's
    setup: str = ""
    # peak RSS (MB) of the trial's process tree while measured operations ran
    measured_rss_mb: float | None = None
    # wall seconds the trial spent inside measured operations
    measured_seconds: float | None = None
    # wall seconds inside the trial's tests but outside measured operations: correctness
    # checks, feature probes, read-backs (the tools at work, untimed); the rest of
    # wall_seconds is harness overhead: process start, imports, data, fixtures
    checks_seconds: float | None = None
    # wall seconds the runner spent making this size's cached workload data just before
    # this trial, the first it ran at the size (benchmarks/prepare.py); not in wall_seconds
    data_seconds: float | None = None
    # where the rows came from: {"source": "synthetic"} or {"source": path, "file_rows": n,
    # "resampled": bool, "seed": s}
    data: dict = field(default_factory=dict)
    # when the trial finished (ISO 8601, UTC); "" in files older than format 3
    measured_at: str = ""
    # what the trial was measured under: {"machine", "packages", "programs", "code", "work"}
    # (benchmarks/keys.py); a later run reuses the record while its key still matches
    key: dict = field(default_factory=dict)
    # answers about the tool version (feature probes, detection quality): {"parts": what
    # they added to this record ({"set": {field: {name: value}}, "append": {field: {name:
    # [items]}}}), "from": {"version", "measured_at"} of the trial that answered, "carried":
    # true when copied from an earlier record instead of asked again}
    answers: dict = field(default_factory=dict)
    # the tool's part in the stage's decision, as the stage declares it: {"kind": "candidate"}
    # (a rival for the pick), {"kind": "floor"} (the roll-your-own yardstick) or {"kind":
    # "layer", "layer": "Prometheus alerts", "fed_by": tool, "question", "pair"} (what runs
    # on top of or inside the pick); empty in files written before it: see roles.kind
    role: dict = field(default_factory=dict)
    # what a team needs from the stage -> where the answer is: a feature probe's name in
    # ``features``, or "<name> set-up" for a set-up's trial (e.g. "team set-up")
    capabilities: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ResultsError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def section(self) -> str:
        """Where the report shows it: its stage, or '<stage>-team' for a team set-up."""
        return f"{self.stage}-{self.setup}" if self.setup else self.stage


@dataclass
class Results:
    environment: dict
    records: list[Record] = field(default_factory=list)
    format: int = FORMAT
    # stage -> its declaration, as adapters/<stage>/__init__.py's STAGE wrote it (plain
    # JSON); empty in files older than format 4
    stages: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True, allow_nan=False, default=str)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def save(results: Results, directory: Path, stem: str) -> Path:
    """Write ``results`` to ``directory/<stem>.json`` atomically, never replacing a file."""
    directory.mkdir(parents=True, exist_ok=True)
    text = results.to_json()
    with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False) as handle:
        handle.write(text)
        temporary = Path(handle.name)
    try:
        for attempt in range(1000):
            target = directory / (f"{stem}.json" if attempt == 0 else f"{stem}-{attempt}.json")
            try:
                os.link(temporary, target)  # fails if target exists: nothing is overwritten
                return target
            except FileExistsError:
                continue
        raise ResultsError(f"too many results files named {stem}* in {directory}")
    finally:
        temporary.unlink()


def replace(results: Results, path: Path) -> None:
    """Rewrite a run's own results file atomically: a reader sees the old or the new text."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(results.to_json())
    os.replace(handle.name, path)


def load(path: Path) -> Results:
    """Read one results file; refuse an unknown format with a message."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path} is not a readable results file ({error}).") from None
    version = data.get("format") if isinstance(data, dict) else None
    if version not in READABLE_FORMATS:
        raise ResultsError(
            f"{path} has results format {version!r}, but this bakeoff reads format {FORMAT}; "
            "re-run the benchmark with this version or use the bakeoff that wrote it."
        )
    records = [Record(**_renamed(record)) for record in data["records"]]
    stages = data.get("stages", {})
    return Results(environment=data["environment"], records=records, stages=stages)


def _renamed(record: dict) -> dict:
    """A record of an older format under today's names: until format 4 its set-up was
    ``variant``, in the record and in its key's work (benchmarks/keys.py), which therefore
    still matches a key computed today."""
    if "variant" in record:
        record["setup"] = record.pop("variant")
    work = record.get("key", {}).get("work", {})
    if "variant" in work:
        work["setup"] = work.pop("variant")
    return record


def load_all(directories: list[Path]) -> list[tuple[Path, Results]]:
    """Every results file under the directories, oldest first (files sort by run time)."""
    paths = sorted((p for d in directories for p in Path(d).glob("*.json")), key=lambda p: p.name)
    return [(path, load(path)) for path in paths]
