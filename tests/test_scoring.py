"""The verdict rules, each on hand-made records: what a pick may and may not rest on."""

from __future__ import annotations

import pytest

from reports import criteria, evidence, maturity, scoring, summary
from reports.results import Record

pytestmark = pytest.mark.report
ONLY = dict.fromkeys(scoring.CRITERIA, 0.0)


def timing(median: float, iqr: float = 0.0) -> dict:
    return {"median": median, "iqr": iqr, "mean": median, "stdev": 0.0,
            "min": median, "max": median, "rounds": 5}  # fmt: skip


def record(tool: str, rows: int, seconds: dict[str, float], **fields) -> Record:
    timings = {op: timing(value) for op, value in seconds.items()}
    return Record("validation", tool, rows, timings=timings, **fields)


def test_a_tool_that_failed_at_1m_is_not_ranked_on_its_100k_record():
    records = [
        record("steady", 100_000, {"validate": 2.0}, correctness={"recall": 1.0}),
        record("steady", 1_000_000, {"validate": 20.0}, correctness={"recall": 1.0}),
        record("brittle", 100_000, {"validate": 0.5}, correctness={"recall": 1.0}),
        Record("validation", "brittle", 1_000_000, status="failed", reason="out of memory"),
    ]
    ranking = scoring.rank(records, ONLY | {"speed": 1.0, "correctness": 1.0})
    brittle = dict((t, total) for t, total, _ in ranking.totals)["brittle"]
    assert brittle > dict((t, total) for t, total, _ in ranking.totals)["steady"]
    assert [tool for tool, _, _ in ranking.totals] == ["steady", "brittle"]
    assert ranking.winner == "steady"
    assert ranking.failed_at["brittle"] == "failed at 1,000,000 rows: out of memory"


def test_false_alarms_measured_at_the_small_size_move_the_score_of_a_full_run():
    def run(small_false_alarms: float) -> float:
        records = [
            Record("monitoring", "tool", 1_600,
                   correctness={"recall": 1.0, "false_alarm_rate": small_false_alarms}),
            Record("monitoring", "tool", 1_000_000, correctness={"recall": 1.0}),
        ]  # fmt: skip
        return criteria.correctness(records)["tool"]

    assert run(0.9) < run(0.0)


def test_an_operation_marked_not_equivalent_is_left_out_of_speed():
    why = "not durable: kept in memory until finish()"
    records = [
        record("durable", 1_000, {"log_params": 1.0, "log_metrics": 1.0}),
        record("in_memory", 1_000, {"log_params": 0.001, "log_metrics": 1.0},
               not_equivalent={"log_params": why}),
    ]  # fmt: skip
    assert criteria.compared_operations(records) == {1_000: ["log_metrics"]}
    assert criteria.speed(records) == {"durable": 1.0, "in_memory": 1.0}


def test_speed_compares_only_operations_every_ranked_tool_performed():
    records = [
        record("page_and_json", 1_000, {"page": 1.0, "json": 0.01}),
        record("page_only", 1_000, {"page": 2.0}),
    ]
    assert criteria.speed(records) == {"page_and_json": 1.0, "page_only": 2.0}


def test_a_fixed_wait_does_not_scale_better_than_the_same_work_done_directly():
    records = []
    for rows in (1_000, 100_000, 1_000_000):
        work = rows * 1e-6  # one second per million rows
        records.append(record("direct", rows, {"check": work}))
        records.append(record("with_wait", rows, {"check": 1.0 + work}))  # a 1 s scrape
    fits = criteria.scale_fits(records)
    assert fits["with_wait"]["check"].fixed == pytest.approx(1.0)
    assert fits["direct"]["check"].per_million == pytest.approx(1.0)
    scores = scoring.normalise("scale", criteria.scale(records))
    assert scores["direct"] == pytest.approx(scores["with_wait"]) == pytest.approx(1.0)


def test_a_missing_footprint_part_shows_na_and_changes_no_other_tools_score():
    def parts(third_install: float | None) -> dict:
        return {
            "a": {"install_mb": 100.0, "packages": 10, "import_seconds": 1.0, "memory_mb": 200.0},
            "b": {"install_mb": 200.0, "packages": 20, "import_seconds": 0.5, "memory_mb": 100.0},
            "c": {"install_mb": third_install, "packages": 5, "import_seconds": None,
                  "memory_mb": 400.0},
        }  # fmt: skip

    with_part, without = scoring.footprint_score(parts(300.0)), scoring.footprint_score(parts(None))
    assert with_part["a"] == without["a"] and with_part["b"] == without["b"]
    ranking = scoring.Ranking("validation", {}, {}, footprint=parts(None))
    table = evidence._footprint_table(ranking)
    assert table["rows"][2][1] == "n/a" and table["rows"][2][3] == "n/a"


def test_a_baseline_win_appears_in_the_stack_with_the_best_tool_beside_it():
    records = [
        record("baseline", 1_000, {"validate": 0.01}, correctness={"recall": 1.0}),
        record("pandera", 1_000, {"validate": 0.1}, correctness={"recall": 1.0}),
    ]
    ranking = scoring.rank(records, ONLY | {"speed": 1.0})
    assert ranking.baseline_ahead
    chosen = summary.Recommendation("startup/core-ml", {"validation": ranking})
    assert chosen.stack() == {"validation": "baseline (best tool: pandera)"}


def test_a_lead_within_the_measured_spread_is_a_tie():
    def ranking(spread: float) -> scoring.Ranking:
        records = [
            Record("validation", "a", 1_000, timings={"validate": timing(1.00, spread)}),
            Record("validation", "b", 1_000, timings={"validate": timing(1.05, spread)}),
        ]
        return scoring.rank(records, ONLY | {"speed": 1.0})

    assert ranking(0.01).noise == "holds" and ranking(0.01).verdict == "clear"
    assert ranking(0.5).noise == "tie within noise with b" and ranking(0.5).verdict == "tie"


def test_one_timed_round_leaves_the_lead_untested_not_clear():
    """A smoke run times each operation once: no spread, so no verdict of "clear"."""

    def records(rounds: int) -> list[Record]:
        return [
            Record("validation", t, 1_000, timings={"validate": {**timing(s), "rounds": rounds}})
            for t, s in (("a", 1.0), ("b", 1.05))
        ]

    untested = scoring.rank(records(1), ONLY | {"speed": 1.0})
    assert untested.noise == scoring.UNTESTED and untested.verdict == "untested"
    assert "Measurement noise: not tested" in " ".join(evidence._lines(untested, records(1)))
    assert scoring.rank(records(3), ONLY | {"speed": 1.0}).verdict == "clear"


def test_private_modules_the_adapter_needs_lower_maturity():
    facts = {
        "validation.a": {"public_modules": ["tool"], "licence_kind": "permissive"},
        "validation.b": {"public_modules": ["tool"], "licence_kind": "permissive"},
    }
    public = record("a", 1_000, {}, tool_imports=["tool:init"])
    private = record("b", 1_000, {}, tool_imports=["tool.sqlite_storage:Storage"])
    scores = maturity.maturity({"a": public, "b": private}, "validation", facts)
    assert scores["a"] == 1.0 and scores["b"] == 0.5
    assert maturity.private_imports(private, facts["validation.b"]) == [
        "tool.sqlite_storage:Storage"
    ]


def test_copyleft_scores_below_permissive_where_the_profile_says_so():
    facts = {"validation.agpl": {"licence_kind": "copyleft"},
             "validation.apache": {"licence_kind": "permissive"}}  # fmt: skip
    tools = {"agpl": record("agpl", 1, {}), "apache": record("apache", 1, {})}
    strict = scoring.load_licence_scores("enterprise/core-ml")
    scores = maturity.maturity(tools, "validation", facts, strict)
    assert scores["agpl"] < scores["apache"] == 1.0


def test_every_profile_weights_maturity_and_enterprise_most():
    weights = {name: scoring.load_profile(name)["maturity"] for name in scoring.profile_names()}
    assert all(weight > 0 for weight in weights.values())
    enterprise = min(w for n, w in weights.items() if n.startswith("enterprise"))
    assert enterprise > max(w for n, w in weights.items() if not n.startswith("enterprise"))


def test_a_tool_that_met_no_contract_gets_no_speed_but_leaves_the_others_compared():
    offline = "not readable: nothing reads an offline write back"
    records = [
        record("durable", 1_000, {"log": 1.0}),
        record("quick", 1_000, {"log": 2.0}),
        record("offline", 1_000, {"log": 0.001}, not_equivalent={"log": offline}),
    ]
    assert criteria.compared_operations(records) == {1_000: ["log"]}
    assert criteria.speed(records) == {"durable": 1.0, "quick": 2.0}


def test_a_stage_run_at_one_size_takes_its_scale_from_the_team_set_up():
    def team(tool: str, clients: int, seconds: float) -> Record:
        timings = {"team_day_of_work": timing(seconds)}
        return Record("tracking", tool, clients, timings=timings, variant="team")

    tools = ("mlflow", "mlflow_server", "trackio", "neptune", "baseline")
    single = [Record("tracking", tool, 1_600, timings={"log_params": timing(0.01)})
              for tool in tools]  # fmt: skip
    grown = [
        *(team("mlflow+postgresql", n, 2.0 + 0.1 * n) for n in (1, 4, 16)),  # 0.1 s a client
        *(team("mlflow+sqlite", n, 2.0 + 0.5 * n) for n in (1, 4, 16)),
        *(team("trackio", n, 1.0 + 1.0 * n) for n in (1, 4, 16)),  # serialised: 1 s a client
        *(team("baseline", n, 0.01 * n) for n in (1, 4, 16)),  # the fastest, but it loses data:
    ]
    grown[-1].correctness["model_versions_read_back"] = 0.54  # ... at 16 clients
    # a set-up whose trial failed at a load does not hold it, whatever its slope before
    grown += [team("trackio+server", n, 0.5) for n in (1, 4)]
    grown.append(Record("tracking", "trackio+server", 16, "failed", "500", variant="team"))
    assert criteria.scale(single) == {}  # one size: nothing to fit
    context = scoring.Context(grown={"tracking": grown})
    ranking = scoring.rank(single, ONLY | {"scale": 1.0}, context)
    assert ranking.scale_section == "tracking-team"
    assert {t: e["setup"] for t, e in ranking.scale_from.items()} == {
        "mlflow": "mlflow+postgresql", "mlflow_server": "mlflow+postgresql", "trackio": "trackio",
        "baseline": "baseline",
    }  # fmt: skip
    assert ranking.scores["scale"]["mlflow"] == pytest.approx(1.0)
    assert ranking.scores["scale"]["trackio"] == pytest.approx(0.1)
    assert "neptune" not in ranking.scores["scale"]  # no team set-up: no scale score
    assert "baseline" not in ranking.scores["scale"]  # lost work under the load: none either
    assert ranking.scale_from["baseline"]["lost"] == "model versions read back 0.54 at 16"
    assert ranking.scale_from["trackio"]["setup"] == "trackio"  # not the flat one that failed
    assert criteria.lost_work(grown)["trackio+server"] == "failed at 16"
    lines = evidence.rests_on(ranking, single, {})["lines"]
    assert any("mlflow from mlflow+postgresql (0.1 s per added client)" in line for line in lines)
    assert any("lost work under the load: baseline (baseline: model versions read back 0.54 at "
               "16 concurrent clients)" in line for line in lines)  # fmt: skip
    # a stage that ran at several sizes keeps its own scale
    sized = [record("tool", rows, {"check": rows * 1e-6}) for rows in (1_000, 1_000_000)]
    elsewhere = scoring.Context(grown={"validation": grown})
    assert scoring.rank(sized, ONLY | {"scale": 1.0}, elsewhere).scale_from == {}


def test_a_tool_that_only_started_to_contract_gets_no_speed_and_leaves_the_work_compared():
    """pandera+spark names broken rules, not rows (validate not equivalent): its Spark
    start alone must not narrow the comparison to start-ups, nor keep it empty where the
    pandas tools have no start-up at all."""
    rows_only = "says which rules failed, not which rows"
    records = [
        record("pandas", 1_000, {"validate": 2.0}),
        record("spark", 1_000, {"session_start": 5.0, "validate": 1.0}),
        record("rules_only", 1_000, {"session_start": 4.0, "validate": 0.5},
               not_equivalent={"validate": rows_only}),
        record("spark", 10_000, {"session_start": 5.0, "validate": 10.0}),
        record("slow_spark", 10_000, {"session_start": 5.0, "validate": 40.0}),
        record("rules_only", 10_000, {"session_start": 4.0, "validate": 5.0},
               not_equivalent={"validate": rows_only}),
    ]  # fmt: skip
    assert criteria.compared_operations(records) == {
        1_000: ["validate"],
        10_000: ["session_start", "validate"],
    }
    assert "rules_only" not in criteria.speed(records)
    assert criteria.speed(records)["spark"] == 1.0
