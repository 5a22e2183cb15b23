"""Tracking stage: each tracker through a team's daily operations with the sales model.

The model is trained once per session on the workload's data. Operations are timed with
pytest-benchmark; beside them: metric-logging throughput (1k, 10k, 100k points, saying what
was durable and readable when the clock stopped), correctness of everything read back,
bytes on disk after N runs, server start and memory, and a feature matrix from probes.
A timing whose call does not meet its operation's contract (adapters/tracking/base.py) is
marked in ``Record.not_equivalent`` with the adapter's reason. The UI probe runs after every
measured operation, and a server started only for it is measured on its own.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import pytest

from adapters import registry, setups
from adapters.base import AdapterError, NotSupported
from benchmarks import datacache, harness, probes, tracking_probes
from benchmarks.user_code import code_lines, operation_source, tool_imports
from reports.results import TOOL_ERRORS

STAGE = "tracking"
# rows the model is trained on (the stage's one size); tracking costs do not grow with them
TRAINING_ROWS = registry.declarations()[STAGE].sizes[0]
REPEATS = 5
TEAM_MAX_ROUNDS = 3  # rounds of the team's day per size (fewer with --repeats below 3)
THROUGHPUT_POINTS = (1_000, 10_000, 100_000)
STORAGE_RUNS = 10
EXPERIMENT = "sales"
MODEL_NAME, ALIAS = tracking_probes.MODEL_NAME, tracking_probes.ALIAS
OPERATIONS = (
    "start_run",
    "log_params",
    "log_metrics_100",
    "log_model",
    "log_model_default",
    "start_and_end_run",
    "register_model",
    "load_model",
    "best_run",
    "read_run",
)

# timed operation -> the interface operations it performs (whose contracts it must meet)
PERFORMS = {
    "start_run": ("start_run",),
    "log_params": ("log_params",),
    "log_model": ("log_model",),
    "log_model_default": ("log_model",),
    "start_and_end_run": ("start_run", "end_run"),
    **{label: ("log_metrics",) for label in ("log_metrics_100", "log_metrics_1k",
                                             "log_metrics_10k", "log_metrics_100k")},
}  # fmt: skip
# the day's operations a user writes code for, and the probe that says if the tool has one
DAY_OF_WORK = ("start_run", "log_params", "log_metrics", "log_model", "end_run", "link_data")
PROBED_OPERATIONS = {
    "register_model": "registry",
    "load_model": "aliases",
    "best_run": "run search",
    "read_run": "read back",
    "data_version": "links run to data version",
}

pytestmark = pytest.mark.tracking
_names = itertools.count()


@dataclass
class Cycle:
    """What the correctness cycle left behind for the timed operations to reuse."""

    model_ref: str


@pytest.fixture(scope="module")
def trained(bench_options, rows, tmp_path_factory):
    """(split, model, data file): the workload's forest model, trained once."""
    from scenarios import model

    frame = datacache.synthetic_or_user_frame(bench_options, rows)
    data_file = tmp_path_factory.mktemp("data") / "wish.csv"
    frame.to_csv(data_file, index=False)
    split = model.split(frame)
    return split, _forest(bench_options, rows, split), data_file


def _forest(bench_options, rows: int, split):
    """The forest trained on ``split``: on synthetic data, trained once per (code, rows)
    and read back from the data cache (training takes ~1.5 s of every trial)."""
    from scenarios import model, wish

    if bench_options.data:
        return model.train(split, "forest")
    return datacache.cached_pickle(
        f"forest-{rows}", (wish.__file__, model.__file__), lambda: model.train(split, "forest")
    )


@pytest.fixture(scope="module")
def tracker(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        if getattr(adapter, "start_seconds", None) is not None:
            recorder.once(tool, rows, "server_start", adapter.start_seconds)
        yield adapter
        server = getattr(adapter, "server", None)
        if server is not None:
            note = f"lean server peak RSS {server.peak_rss_bytes / 2**20:.0f} MB over the trial"
            recorder.record(tool, rows).details.setdefault("notes", []).append(note)


@pytest.fixture(scope="module")
def cycle(tracker, trained, recorder, tool, rows) -> Cycle:
    """Three runs, the best one's model registered under an alias; every read-back probed
    (untimed: the time split counts it as checks and probes)."""
    split, model, data_file = trained
    with harness.trial(recorder, tool, rows) as record, harness.counting_checks():
        scores = {}
        for score in (0.2, 0.9, 0.5):  # the second run is the best one
            run_id = tracker.start_run(EXPERIMENT, _run_name())
            tracker.log_params(run_id, {"config": "forest", "score": score})
            tracker.log_metrics(run_id, "r2", [score / 2, score])
            scores[run_id] = score
        best = max(scores, key=scores.get)
        tracker.link_data(best, data_file)
        model_ref = tracker.log_model(best, model)
        for run_id in scores:
            tracker.end_run(run_id)
        tracking_probes.probe_all(record, tracker, scores, model_ref, (split, model), data_file)
        record.user_code = _user_code(tracker, record.features)
        return Cycle(model_ref)


def _user_code(tracker, features: dict) -> dict[str, int]:
    """Lines of Python a user writes for the day's operations the tool supports."""
    supported = [
        *DAY_OF_WORK,
        *(op for op, probe in PROBED_OPERATIONS.items()
          if features[probe]["answer"] != "not supported"),
    ]  # fmt: skip
    source = operation_source(type(tracker), supported)
    return {f"tracking calls for {len(supported)} operations (Python)": code_lines(source)}


def _timing(recorder, tracker, rows: int, operation: str, benchmark) -> None:
    """The operation's statistics, marked not equivalent where the tool's call does not meet
    the contract of an operation it performs."""
    recorder.timing(tracker.name, rows, operation, benchmark)
    performed = PERFORMS.get(operation, (operation,))
    reasons = dict.fromkeys(tracker.not_equivalent[op] for op in performed
                            if op in tracker.not_equivalent)  # fmt: skip
    if reasons:
        recorder.record(tracker.name, rows).not_equivalent[operation] = "; ".join(reasons)


def _run_name() -> str:
    return f"run-{next(_names)}"


def test_correctness(cycle, recorder, tool, rows):
    values = recorder.record(tool, rows).correctness
    assert values.get("metrics_read_back_equal", 1.0) == 1.0
    assert values.get("registry_predictions_identical", 1.0) == 1.0
    assert values.get("best_run_correct", 1.0) == 1.0


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation(
    benchmark, operation, tracker, cycle, trained, recorder, bench_options, tool, rows
):
    # a fresh run for the operations that need one (trackio logs fastest to its newest run);
    # it and the runs the start_run rounds open are ended once timed
    started = [tracker.start_run(EXPERIMENT, _run_name())]
    call = _operation(operation, tracker, cycle, trained[1], started)
    if call is None:
        tracker.end_run(started[0])
        pytest.skip(f"{tool} has no {operation}")
    with harness.trial(recorder, tool, rows) as record:
        try:
            call()  # the first call doubles as the probe (unsupported raises here) and warm-up
        except NotSupported as error:
            record.details.setdefault("notes", []).append(str(error))
            tracker.end_run(started[0])
            pytest.skip(str(error))
        harness.measure(benchmark, operation, call, rounds=bench_options.repeats, warmup=0)
        _timing(recorder, tracker, rows, operation, benchmark)
        for run_id in started:
            tracker.end_run(run_id)


def _operation(operation, tracker, cycle, model, started: list[str]):
    run_id, steps = started[0], [s / 100 for s in range(100)]
    if operation == "read_run":  # something to read back: params and a 100-step series
        tracker.log_params(run_id, {"alpha": 1.0, "depth": 10})
        tracker.log_metrics(run_id, "r2", steps)
    calls = {
        "start_run": lambda: started.append(tracker.start_run(EXPERIMENT, _run_name())),
        "log_params": lambda: tracker.log_params(run_id, {"alpha": 1.0, "depth": 10}),
        "log_metrics_100": lambda: tracker.log_metrics(run_id, f"m{next(_names)}", steps),
        "log_model": lambda: tracker.log_model(run_id, model),
        "start_and_end_run": lambda: tracker.end_run(tracker.start_run(EXPERIMENT, _run_name())),
        "register_model": lambda: tracker.register_model(cycle.model_ref, MODEL_NAME, "staging"),
        "load_model": lambda: tracker.load_model(MODEL_NAME, ALIAS),
        "best_run": lambda: tracker.best_run(EXPERIMENT, "r2"),
        "read_run": lambda: tracker.read_run(run_id),
    }
    if "log_model_default" in tracker.operations:
        calls["log_model_default"] = lambda: tracker.log_model_default(run_id, model)
    return calls.get(operation)


@pytest.mark.parametrize("points", THROUGHPUT_POINTS, ids=lambda p: f"{p}points")
def test_metric_throughput(benchmark, points, tracker, recorder, bench_options, tool, rows):
    """One series of ``points`` per round, into its own run; then read back once."""
    if points == max(THROUGHPUT_POINTS):
        probes.skip_in_smoke(bench_options, f"the {points:,}-point series")
    values = [float(p % 997) / 997 for p in range(points)]
    run_id = tracker.start_run("throughput", f"points-{points}-{next(_names)}")
    keys = (f"series{n}" for n in itertools.count())
    large = points >= 100_000  # seconds per round: fewer rounds, no warm-up
    rounds = min(3, bench_options.repeats) if large else bench_options.repeats
    label = f"log_metrics_{points // 1000}k"
    with harness.trial(recorder, tool, rows) as record:
        log = lambda: tracker.log_metrics(run_id, next(keys), values)  # noqa: E731
        harness.measure(benchmark, label, log, rounds=rounds, warmup=0 if large else 1)
        _timing(recorder, tracker, rows, label, benchmark)
        read_back = _read_back(tracker, run_id, values)
        tracker.end_run(run_id)
        row = [
            points,
            tracker.metric_api,
            points / benchmark.stats.stats.median,
            *read_back,
            tracker.durability,
        ]
        _table(record, "Metric-logging throughput", THROUGHPUT_COLUMNS).append(row)


THROUGHPUT_COLUMNS = [
    "points",
    "API",
    "points/s (median)",
    "points read back (whole run: every round's series)",
    "read-back s",
    "read back equal",
    "durable and readable when the clock stopped",
]


def _read_back(tracker, run_id, values) -> tuple:
    """(points read, seconds, 1.0 if every series equals ``values``), or the refusal."""
    started = time.perf_counter()
    try:
        # timed once and shown: measured time; its memory stays out of the memory while
        # measured, as a read-back not every tool can make (Neptune's offline client)
        with harness.measuring(memory=False):
            series = tracker.read_run(run_id).metrics
    except NotSupported as error:
        return 0, "not supported", error.reason
    seconds = time.perf_counter() - started
    logged = [s for key, s in series.items() if key.startswith("series")]
    equal = float(bool(logged) and all(s == values for s in logged))
    return sum(len(s) for s in logged), seconds, equal


def _table(record, title: str, columns: list[str]) -> list:
    tables = record.details.setdefault("tables", [])
    for table in tables:
        if table["title"] == title:
            return table["rows"]
    tables.append({"title": title, "columns": columns, "rows": []})
    return tables[-1]["rows"]


def test_storage_after_runs(tracker, trained, recorder, tool, rows):
    """Bytes on disk after STORAGE_RUNS runs, each with params, 1k metric points and a model."""
    model = trained[1]
    with harness.trial(recorder, tool, rows) as record:
        before = tracker.store_bytes()
        for _ in range(STORAGE_RUNS):
            run_id = tracker.start_run("storage", _run_name())
            tracker.log_params(run_id, {"config": "forest"})
            tracker.log_metrics(run_id, "loss", [p / 1000 for p in range(1000)])
            tracker.log_model(run_id, model)
            tracker.end_run(run_id)
        grown = tracker.store_bytes() - before
        record.measures[f"store_mb_per_{STORAGE_RUNS}_runs"] = grown / 2**20


def test_default_server(tracker, recorder, bench_options, tool, rows, tmp_path):
    """MLflow only: the server with default settings, started once beside the lean one after
    the measured operations; its start time and memory are measures of their own."""
    probes.skip_in_smoke(bench_options, "the default server's measures")
    if tool != "mlflow_server":
        pytest.skip("only the MLflow server mode has a default server to measure")
    from adapters.tracking.mlflow import measure_default_server

    with harness.trial(recorder, tool, rows) as record:
        figures = measure_default_server(tmp_path)
        record.measures["default_server_start_seconds"] = figures["start_seconds"]
        record.measures["default_server_rss_mb"] = figures["rss_mb"]
        record.measures["default_server_processes"] = figures["processes"]
        record.details.setdefault("notes", []).append(
            "Operations ran against a lean `mlflow server --workers 1` with "
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false. The default `mlflow server` took "
            f"{figures['start_seconds']:.1f} s to a healthy /health and held "
            f"{figures['rss_mb']:.0f} MB resident in {figures['processes']} processes."
        )


def test_log_model_as_first_written(tracker, trained, recorder, bench_options, tool, rows):
    """MLflow only: the bare ``log_model(model, name=...)`` call, whose outcome is a finding."""
    probes.skip_in_smoke(bench_options, "the bare log_model finding")
    if "log_model_default" not in tracker.operations:
        pytest.skip(f"{tool} has one way to log a model")
    with harness.trial(recorder, tool, rows) as record:
        run_id = tracker.start_run(EXPERIMENT, _run_name())
        try:
            tracker.log_model_default(run_id, trained[1], trusted=False)
            outcome = "it works"
        except AdapterError as error:  # the finding is the tool's own error text
            words = " ".join(str(error.__cause__ or error).split())
            outcome = f"it fails: {words[:400]}"
        tracker.end_run(run_id)
        record.details.setdefault("notes", []).append(
            "`mlflow.sklearn.log_model(model, name=...)` as first written (no "
            f"skops_trusted_types, no pip_requirements): {outcome}"
        )


def test_ui_probe(tracker, recorder, bench_options, tool, rows):
    """Last: the UI probe, after every measured operation of this tool (a UI server it
    starts never runs beside them)."""
    probes.skip_unless_probing(bench_options, rows)
    with harness.trial(recorder, tool, rows) as record:
        tracking_probes.probe_ui(record, tracker)


# The team set-up (--setup=team): ``rows`` is the number of concurrent client processes.


@pytest.fixture(scope="module")
def team_model(bench_options, tmp_path_factory):
    """The single-user bench's forest model, trained once and saved for the clients."""
    import joblib

    from scenarios import model

    split = model.split(datacache.synthetic_or_user_frame(bench_options, TRAINING_ROWS))
    path = tmp_path_factory.mktemp("team") / "model.joblib"
    joblib.dump(_forest(bench_options, TRAINING_ROWS, split), path)
    return path


@pytest.fixture(scope="module")
def team_store(tool, rows, recorder):
    """The set-up tool's shared store; its start is measured once (PostgreSQL's included)."""
    from adapters.tracking import team

    store = team.store(tool)
    with harness.trial(recorder, tool, rows) as record:
        package = registry.lookup(STAGE, setups.base_tool(tool)).modules[0]
        record.tool_imports = tool_imports(store.tracker, package.split(".")[0])
        try:
            with harness.measuring():
                store.__enter__()
            if store.start_seconds is not None:
                recorder.once(tool, rows, "server_start", store.start_seconds)
            recorder.steps(tool, rows, store)
            store.create_names()
            yield store
        finally:
            store.close()


@pytest.mark.setup("team")
def test_team_day_of_work(team_store, team_model, recorder, bench_options, tool, rows):
    """``rows`` client processes released together into a day of work per round; then a
    separate reader process checks that every run and model version is in the store."""
    from adapters.tracking import team

    rounds = min(bench_options.repeats, TEAM_MAX_ROUNDS)
    with harness.trial(recorder, tool, rows) as record:
        record.data = dict(datacache.DATA_SOURCES.get(TRAINING_ROWS, {}))
        harness.progress(f"{rows} clients: starting, untimed warm-up days first")
        walls, days = [], []
        with (
            team.Clients(team_store, rows, team_model) as clients,  # started, warmed up
            harness.measuring(),
            team.PeakMemory(team_store, clients) as memory,
        ):
            for number in range(rounds):
                harness.progress(f"{rows} clients: day {number + 1}/{rounds}")
                wall, finished = clients.round(number)
                walls.append(wall)
                days += finished
        assert len(days) == rows * rounds, "every client reports every day"
        _team_figures(record, team_store, days, walls, memory.peaks)
        _team_notes(record, team_store, rows, rounds, clients)
        found = team.read_back(team_store, days)
        record.correctness.update({
            "params_read_back": found["params"],
            "metric_points_read_back": found["points"],
            "model_versions_read_back": found["versions"],
        })  # fmt: skip


def _team_figures(record, store, days, walls, peaks) -> None:
    """Wall time per day of the whole team, throughput, latency per call, errors, memory."""
    import collections

    import numpy

    from adapters.tracking import team
    from reports.results import stats

    record.timings["team_day_of_work"] = stats(walls)
    seconds, measures = sum(walls), record.measures
    measures["runs_per_second"] = sum("end_run" in day["latency"] for day in days) / seconds
    measures["metric_points_per_second"] = sum(day["points"] for day in days) / seconds
    errors = collections.Counter(tuple(error) for day in days for error in day["errors"])
    measures["errors"] = sum(errors.values())
    calls = _table(record, "Team day of work: calls", TEAM_CALL_COLUMNS)
    for call in team.CALLS:
        samples = [day["latency"][call] * 1000 for day in days if call in day["latency"]]
        failed = sum(count for (kind, _), count in errors.items() if kind == call)
        p50, p99 = numpy.percentile(samples, [50, 99]) if samples else (None, None)
        if samples:
            measures[f"{call}_p50_ms"], measures[f"{call}_p99_ms"] = float(p50), float(p99)
        calls.append([call, len(samples), failed, p50, p99])
    ok = sum(len(day["latency"]) for day in days)
    record.correctness["calls_succeeded"] = ok / (ok + measures["errors"])
    record.details[TOOL_ERRORS] = [[call, message, count]
                                   for (call, message), count in errors.most_common()]  # fmt: skip
    measures.update({f"{part}_rss_mb": megabytes for part, megabytes in peaks.items()})
    measures.update(store.logged())


TEAM_CALL_COLUMNS = ["call", "calls that succeeded", "errors", "p50 ms", "p99 ms"]


def _team_notes(record, store, count: int, rounds: int, clients) -> None:
    """Settings, user code, and the latencies that do not meet their call's contract."""
    from adapters.tracking import team

    notes = record.details.setdefault("notes", [])
    notes += store.settings()
    notes.append(
        f"{count} client process(es) (spawned), each attached to the shared store, "
        f"{clients.warmup_days} untimed warm-up day(s) each (at least {team.WARMUP_TEAM_DAYS} "
        f"for the team, as many as a default MLflow server has workers; "
        f"{len(clients.warmup_errors)} error(s)), then {rounds} timed day(s) "
        "released together at a barrier; team_day_of_work is the wall time until the last "
        f"client's day ended. A day: start_run, log_params ({len(team.PARAMS)}), a "
        f"{len(team.SERIES)}-point series, log_model and register_model (the forest model), "
        "end_run. Latencies are per call over every client and day."
    )
    source = operation_source(store.tracker, list(team.CALLS))
    label = f"tracking calls for {len(team.CALLS)} operations (Python)"
    record.user_code[label] = code_lines(source)
    for label, text in store.user_config().items():
        record.user_code[label] = code_lines(text)
    for call, reason in store.tracker.not_equivalent.items():
        for quantile in ("p50", "p99"):
            record.not_equivalent[f"{call}_{quantile}_ms"] = reason
