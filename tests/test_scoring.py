"""The verdict rules, each on hand-made records: what a pick may and may not rest on."""

from __future__ import annotations

import dataclasses
import math

import pytest

from reports import criteria, evidence, labels, maturity, scoring, summary, verdict
from reports.results import Record

pytestmark = [pytest.mark.report, pytest.mark.usefixtures("declared")]
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
            # a rival with other false alarms: a measure counts where tools differ on it
            Record("monitoring", "rival", 1_600,
                   correctness={"recall": 1.0, "false_alarm_rate": 0.5}),
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


def test_a_baseline_that_ranks_first_is_the_yardstick_and_the_stack_names_the_best_tool():
    """Issue 26, rule 1 (was: the stack said "baseline (best tool: pandera)")."""
    records = [
        record("baseline", 1_000, {"validate": 0.01}, correctness={"recall": 1.0}),
        record("pandera", 1_000, {"validate": 2.0}, correctness={"recall": 1.0}),
    ]
    ranking = scoring.rank(records, ONLY | {"speed": 1.0})
    assert ranking.baseline_ahead and ranking.winner == "pandera"
    chosen = summary.Recommendation("startup/core-ml", {"validation": ranking})
    assert chosen.stack() == {"validation": "Pandera"}  # the name the stage declares
    assert "the floor is the yardstick, not a candidate" in summary.why(ranking)


def test_a_lead_within_the_measured_spread_is_a_tie():
    # 1.0 s against 1.5 s: a material lead (50 ms apart would score as equal)
    def ranking(spread: float) -> scoring.Ranking:
        records = [
            Record("validation", "a", 1_000, timings={"validate": timing(1.00, spread)}),
            Record("validation", "b", 1_000, timings={"validate": timing(1.50, spread)}),
        ]
        return scoring.rank(records, ONLY | {"speed": 1.0})

    assert ranking(0.01).noise == "holds" and ranking(0.01).verdict == "clear"
    assert ranking(1.2).noise == "tie within noise with b" and ranking(1.2).verdict == "tie"
    # in the report's sentence "under measurement noise the pick ..."
    assert summary.why(ranking(1.2)).endswith("the pick is a tie within noise with b")
    assert "the pick holds" in summary.why(ranking(0.01))


def test_one_timed_round_leaves_the_lead_untested_not_clear():
    """A smoke run times each operation once: no spread, so no verdict of "clear"."""

    def records(rounds: int) -> list[Record]:
        return [
            Record("validation", t, 1_000, timings={"validate": {**timing(s), "rounds": rounds}})
            for t, s in (("a", 1.0), ("b", 1.5))  # a material lead: 50 ms would be a tie
        ]

    untested = scoring.rank(records(1), ONLY | {"speed": 1.0})
    assert untested.noise == scoring.UNTESTED and untested.verdict == "untested"
    assert "Measurement noise: not tested" in " ".join(evidence._lines(untested, records(1)))
    assert scoring.rank(records(3), ONLY | {"speed": 1.0}).verdict == "clear"


MATURE = {"first_release": "2015-01-01", "releases_last_12_months": 6,
          "licence_kind": "permissive", "maintainer": "foundation"}  # fmt: skip


def test_private_modules_the_adapter_needs_lower_maturity():
    # every other part known and full (an unknown part would cost: see the test below)
    facts = {
        "validation.a": {"public_modules": ["tool"], **MATURE},
        "validation.b": {"public_modules": ["tool"], **MATURE},
    }
    public = record("a", 1_000, {}, tool_imports=["tool:init"])
    private = record("b", 1_000, {}, tool_imports=["tool.sqlite_storage:Storage"])
    scores = maturity.maturity({"a": public, "b": private}, "validation", facts)
    assert scores["a"] == 1.0 and scores["b"] == 0.8
    assert maturity.private_imports(private, facts["validation.b"]) == [
        "tool.sqlite_storage:Storage"
    ]


def test_copyleft_scores_below_permissive_where_the_profile_says_so():
    facts = {"validation.agpl": {**MATURE, "licence_kind": "copyleft"},
             "validation.apache": {**MATURE, "licence_kind": "permissive"}}  # fmt: skip
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
        return Record("tracking", tool, clients, timings=timings, setup="team")

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
    grown.append(Record("tracking", "trackio+server", 16, "failed", "500", setup="team"))
    assert criteria.scale(single) == {}  # one size: nothing to fit
    context = scoring.Context(grown={"tracking": grown})
    ranking = scoring.rank(single, ONLY | {"scale": 1.0}, context)
    assert ranking.scale_section == "tracking-team"
    assert {t: e["setup"] for t, e in ranking.scale_from.items()} == {
        "mlflow": "mlflow+postgresql", "mlflow_server": "mlflow+postgresql", "trackio": "trackio",
        "baseline": "baseline",
    }  # fmt: skip
    assert ranking.scores["scale"]["mlflow"] == pytest.approx(1.0)
    assert ranking.scores["scale"]["trackio"] == pytest.approx(0.5)  # 10x on a log scale
    assert "neptune" not in ranking.scores["scale"]  # no team set-up: no scale score
    assert "baseline" not in ranking.scores["scale"]  # lost work under the load: none either
    assert ranking.scale_from["baseline"]["lost"] == "model versions read back 0.54 at 16"
    assert ranking.scale_from["trackio"]["setup"] == "trackio"  # not the flat one that failed
    assert criteria.lost_work(grown)["trackio+server"] == "failed at 16"
    lines = evidence.rests_on(ranking, single, {})["lines"]
    taken = "MLflow from MLflow on PostgreSQL (0.1 s per added client)"  # declared names
    assert any(taken in line for line in lines)
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


# --- issue 26: the pick is always a real choice ----------------------------------------------
# Each test below failed on the code before issue 26 (checked against main at 3e656c1).

FLOOR = {"kind": "floor"}
CAPABILITIES = {"a report a person reads": "HTML report", "rules inferred": "infers rules"}


def probes(**answers: str) -> dict:
    return {name: {"ok": answer == "yes", "answer": answer, "evidence": f"{name}: {answer}"}
            for name, answer in answers.items()}  # fmt: skip


def declared(tool: str, rows: int, seconds: dict[str, float], **fields) -> Record:
    """A validation record that carries its stage's declarations, as bakeoff writes them."""
    fields.setdefault("role", FLOOR if tool == "baseline" else {"kind": "candidate"})
    return record(tool, rows, seconds, capabilities=dict(CAPABILITIES), **fields)


def test_the_floor_line_prices_the_pick_against_the_baseline_and_names_what_it_buys():
    """Rule 1: a tool costs N x the baseline's time (geometric mean over the operations both
    did to contract) and buys the capabilities the baseline lacks; n/a when none shared."""
    from reports import floor

    records = [
        declared("baseline", 1_000, {"validate": 0.5, "load": 1.0},
                 features=probes(**{"HTML report": "no", "infers rules": "not supported"}),
                 user_code={"own code a team maintains (Python)": 120}),
        declared("pandera", 1_000, {"validate": 2.0, "load": 4.0},
                 features=probes(**{"HTML report": "yes", "infers rules": "yes"})),
        declared("pandera", 100_000, {"validate": 8.0}),
        declared("baseline", 100_000, {"validate": 1.0}),
    ]  # fmt: skip
    ranking = scoring.rank(records, ONLY | {"speed": 1.0, "features": 1.0})
    assert ranking.winner == "pandera" and ranking.floor == "baseline"
    ratio, operations = floor.cost(records, "pandera", "baseline")
    assert ratio == pytest.approx((4 * 4 * 8) ** (1 / 3)) and len(operations) == 3
    assert floor.line(ranking, records) == (
        "Pandera costs 5.04× the baseline's time and buys: a report a person reads, rules "
        "inferred; the baseline is 120 lines your team writes and maintains"
    )
    apart = [declared("baseline", 1_000, {"own": 1.0}), declared("pandera", 1_000, {"other": 2.0})]
    assert floor.cost(apart, "pandera", "baseline") == (None, [])
    assert "no time is compared with" in floor.line(
        scoring.rank(apart, ONLY | {"speed": 1.0}), apart
    )


def test_no_stack_cell_of_any_profile_names_the_baseline_even_where_it_ranks_first():
    """Rule 1: the baseline ranks first here on every profile (fastest, most correct)."""
    stages = {
        "validation": [
            declared("baseline", 1_000, {"validate": 0.01}, correctness={"recall": 1.0}),
            declared("pandera", 1_000, {"validate": 3.0}, correctness={"recall": 0.9}),
        ]
    }
    for profile in summary.every_profile(stages, scoring.Context()):
        assert profile["stack"] == {"validation": "Pandera"}, profile["profile"]


def test_unknown_maturity_parts_cost_instead_of_leaving_the_mean():
    """Rule 3: the baseline has no release history; before, its unknown age and releases
    left the mean and it scored 0.833, above most tools."""
    facts = {
        "validation.baseline": {"licence_kind": "permissive", "maintainer": "your team"},
        "validation.counted": {**MATURE, "releases_last_12_months": 1},
        "validation.uncounted": {key: v for key, v in MATURE.items() if "releases" not in key},
    }
    tools = {name: record(name, 1, {}) for name in ("baseline", "counted", "uncounted")}
    scores = maturity.maturity(tools, "validation", facts)
    assert scores["baseline"] == pytest.approx((0 + 0 + 1 + 0.5) / 4)
    assert scores["uncounted"] < scores["counted"]


def test_an_emulated_tool_is_judged_on_its_own_facts_and_named_with_its_emulator():
    """Rule 3: act is not GitHub Actions: the row names the emulator."""
    facts = {"cicd.github_actions": {**MATURE, "emulated_by": "act"},
             "cicd.buildbot": dict(MATURE)}  # fmt: skip
    records = [Record("cicd", tool, 100, timings={"pipeline_warm": timing(seconds)})
               for tool, seconds in (("github_actions", 2.0), ("buildbot", 9.0))]  # fmt: skip
    ranking = scoring.rank(records, ONLY | {"speed": 1.0}, scoring.Context(maturity=facts))
    assert summary.pick(ranking) == "GitHub Actions (run here by act)"
    table = evidence._maturity_table(ranking, records, facts)
    assert [row[0] for row in table["rows"]] == ["Buildbot", "GitHub Actions (run here by act)"]


def test_milliseconds_apart_score_as_equal_and_seconds_apart_on_a_log_scale():
    """Rule 3: 2 ms vs 12 ms weighed like 2 s vs 12 s (both 0.17 of the best)."""

    def speed_scores(fast: float, slow: float) -> dict[str, float]:
        records = [
            record("fast", 1_000, {"validate": fast}),
            record("slow", 1_000, {"validate": slow}),
        ]
        return scoring.normalise("speed", criteria.speed(records))

    assert speed_scores(0.002, 0.012) == {"fast": 1.0, "slow": 1.0}
    assert speed_scores(2.0, 12.0)["slow"] == pytest.approx(1 - math.log10(6) / 2)
    assert speed_scores(2.0, 2.15) == {"fast": 1.0, "slow": 1.0}  # under 10 %: immaterial
    setup = scoring.normalise("setup", {"few": 3, "some": 9, "many": 300})
    assert setup["some"] == 1.0 and setup["many"] == pytest.approx(1 - math.log10(301 / 4) / 2)


def test_correctness_averages_only_the_measures_on_which_tools_differ():
    """Rule 3: a gate every tool meets is pass/fail, not averaged in (before: b 0.83)."""
    records = [
        record("a", 1_000, {}, correctness={"recall": 1.0, "precision": 1.0, "exact": True}),
        record("b", 1_000, {}, correctness={"recall": 0.5, "precision": 1.0, "exact": True}),
    ]
    assert criteria.correctness(records) == {"a": 1.0, "b": 0.5}
    assert criteria.gates(records) == ["exact", "precision"]


def test_speed_compares_each_tool_on_every_operation_it_shares_with_another():
    """Rule 3: pairwise, not only the operations all tools have (before: only 'shared')."""
    records = [
        record("a", 1_000, {"shared": 1.0, "a_and_b": 1.0}),
        record("b", 1_000, {"shared": 1.0, "a_and_b": 4.0, "b_and_c": 1.0}),
        record("c", 1_000, {"shared": 1.0, "b_and_c": 9.0}),
    ]
    assert criteria.compared_operations(records) == {1_000: ["a_and_b", "b_and_c", "shared"]}
    assert criteria.speed(records) == pytest.approx({"a": 1.0, "b": 2.0 ** (2 / 3), "c": 3.0})


def test_why_lists_the_criteria_by_their_share_of_the_margin_over_the_runner_up():
    """Rule 3: criteria on which both tie are not named as strengths."""
    records = [
        record("a", 1_000, {"validate": 1.0}, correctness={"recall": 1.0},
               setup_steps=[{"description": "step", "seconds": 0.0}] * 30),
        record("b", 1_000, {"validate": 10.0}, correctness={"recall": 1.0}),
    ]  # fmt: skip
    ranking = scoring.rank(records, ONLY | {"speed": 2.0, "setup": 1.0, "correctness": 1.0})
    assert ranking.winner == "a"
    shares = dict(verdict.margin_shares(ranking))
    assert set(shares) == {"speed", "setup"} and shares["speed"] > 1 > 0 > shares["setup"]
    assert "the lead comes from speed +" in summary.why(ranking)
    assert "correctness" not in summary.why(ranking)


def test_a_lead_under_the_minimum_margin_is_a_tie_that_names_both_tools():
    """Rule 4: no alphabetical tie-break; the verdict is on the pick shown."""
    records = [
        record("zeta", 1_000, {"validate": 1.0}, correctness={"recall": 1.0}),
        record("alpha", 1_000, {"validate": 1.0}, correctness={"recall": 0.99}),
        record("baseline", 1_000, {"validate": 0.2}, correctness={"recall": 1.0}),
    ]
    ranking = scoring.rank(records, ONLY | {"speed": 1.0, "correctness": 1.0})
    assert ranking.winner == "zeta" and verdict.margin(ranking) < verdict.MIN_MARGIN
    assert ranking.verdict == "tie" and ranking.tie_with == "alpha"
    assert summary.pick(ranking) == "zeta or alpha (tie)"


def test_a_lead_that_rests_on_a_timing_measured_once_is_untested():
    """Rule 4: the noise test cannot move a figure timed once (before: 'clear')."""

    def records(start_rounds: int) -> list[Record]:
        return [
            Record("validation", tool, 1_000, timings={
                "validate": timing(1.0, 0.05),
                "server_start": {**timing(start), "rounds": start_rounds}})
            for tool, start in (("quick", 1.0), ("slow", 6.0))
        ]  # fmt: skip

    ranking = scoring.rank(records(1), ONLY | {"speed": 1.0})
    assert ranking.noise == "holds" and ranking.verdict == "untested"
    assert "quick server_start" in ranking.untested
    assert scoring.rank(records(5), ONLY | {"speed": 1.0}).verdict == "clear"


def test_the_stored_iqr_is_the_one_the_stop_rule_tested():
    """Rule 4: one IQR formula (before: 4.8 % to stop, pytest-benchmark's 7.1 % stored)."""
    from types import SimpleNamespace

    from pytest_benchmark.stats import Metadata

    from benchmarks import harness

    samples = [1.00, 1.05, 1.10]
    benchmark = SimpleNamespace(name="t", group=None, fullname="t", param=None, params=None,
                                extra_info={}, cprofile_stats=None, disabled=False)  # fmt: skip
    benchmark.stats = Metadata(benchmark, iterations=1, options={})
    for sample in samples:
        benchmark.stats.update(sample)
    recorder = harness.Recorder("validation", None)
    recorder.timing("a", 1_000, "validate", benchmark)
    stored = recorder.record("a", 1_000).timings["validate"]
    assert stored["iqr"] / stored["median"] == pytest.approx(harness.relative_spread(samples))
    assert stored["iqr"] / stored["median"] == pytest.approx(0.0476, abs=1e-4)


def monitoring_records(ks_alarms_at_1m: int) -> list[Record]:
    """Detectors (the baseline's scipy code as the floor), Prometheus layers fed by them."""
    layer = {"kind": "layer", "layer": "Prometheus alerts", "pair": "{pick} scores → {layer}"}
    rows = []
    for size, (base, evidently, ks) in ((1_600, (0.02, 0.8, 0.7)), (1_000_000, (2, 30, 20))):
        for tool, check, alarmed, role in (
            ("baseline", base, 1, FLOOR),
            ("evidently", evidently, 0, {"kind": "candidate"}),
            ("evidently_ks", ks, ks_alarms_at_1m if size > 1_600 else 0, {"kind": "candidate"}),
            ("baseline_prometheus", base + 1.0, 1, {**layer, "fed_by": "baseline"}),
            ("evidently_prometheus", evidently + 1.0, 0, {**layer, "fed_by": "evidently"}),
        ):
            checked = 21 if size == 1_600 else 1
            rows.append(Record("monitoring", tool, size, role=role,
                               timings={"check": timing(check)},
                               correctness={"false_alarm_batches": alarmed / checked},
                               measures={"unchanged_batches": checked,
                                         "unchanged_batches_alarmed": alarmed}))  # fmt: skip
    return rows


def test_monitoring_picks_a_detector_and_names_the_alerting_layer_fed_by_its_scores():
    """Rule 2: never the relay of bakeoff's own statistics (before: 'prometheus')."""
    stages = {"monitoring": monitoring_records(ks_alarms_at_1m=0)}
    for profile in summary.every_profile(stages, scoring.Context()):
        cell = profile["stack"]["monitoring"]
        assert "scores → Prometheus alerts" in cell, (profile["profile"], cell)
        assert "baseline" not in cell
    ranking = summary.rank_stage(stages["monitoring"], ONLY | {"speed": 1.0}, scoring.Context())
    assert {t for t, _, _ in ranking.totals} == {"baseline", "evidently", "evidently_ks"}
    assert ranking.winner == "evidently_ks" and ranking.layer_feed == "evidently"
    assert [t for t, _, _ in ranking.layer.totals] == ["evidently", "evidently_prometheus"]
    assert ranking.layer.winner == "evidently_prometheus"
    assert summary.pick(ranking) == (
        "Evidently (KS test) scores → Prometheus alerts (measured on Evidently's scores)"
    )


def test_a_detector_over_the_false_alarm_ceiling_at_any_size_is_not_clear():
    """Rule 2: false alarms count at every size that ran, and 5 % is the ceiling."""
    one_at_1m = monitoring_records(ks_alarms_at_1m=1)  # 1 of 22 unchanged batches: 4.5 %
    weights = ONLY | {"speed": 1.0}
    under = summary.rank_stage(one_at_1m, weights, scoring.Context())
    assert under.winner == "evidently_ks" and under.verdict != "flawed"
    assert set(under.flaws) == {"baseline"}  # alarms at both sizes: 2 of 22
    records = monitoring_records(ks_alarms_at_1m=1)
    for row in records:
        if row.tool == "evidently_ks" and row.rows == 1_600:
            row.measures["unchanged_batches_alarmed"] = 1  # 2 of 22: 9.1 %
    ranking = summary.rank_stage(records, weights, scoring.Context())
    assert ranking.winner == "evidently_ks" and ranking.verdict == "flawed"
    assert "false alarms on 2 of 22 unchanged batches (9%)" in ranking.flaws["evidently_ks"]
    assert "above the 5% ceiling" in summary.why(ranking)


def test_a_tie_says_which_of_the_tied_tools_break_a_ceiling():
    """A tie names both tools; where they break the false-alarm ceiling, the verdict says so
    (the summary table's verdict column is all a reader of the first screen sees)."""
    records = monitoring_records(ks_alarms_at_1m=1)
    for row in records:
        if row.tool == "evidently_ks" and row.rows == 1_600:
            row.measures["unchanged_batches_alarmed"] = 1  # 2 of 22: over the ceiling
    ranking = summary.rank_stage(records, ONLY | {"speed": 1.0}, scoring.Context())
    assert ranking.verdict == "flawed"
    ranking.tie_with = ranking.runner_up
    assert ranking.verdict == f"tie, {labels.tool_name('monitoring', ranking.winner)} flawed"
    assert ranking.runner_up not in ranking.flaws and "baseline" in ranking.flaws
    ranking.tie_with = "baseline"  # the noise test's best may be a tool below the runner-up
    assert ranking.verdict == "tie, both flawed"
    ranking.tie_with = ranking.runner_up
    ranking.flaws[ranking.runner_up] = "false alarms"
    assert ranking.verdict == "tie, both flawed"
    ranking.flaws.clear()
    assert ranking.verdict == "tie"


def test_a_ci_pick_is_a_ci_system_and_local_runners_are_what_runs_inside_it():
    """Rule 5: pre-commit, the fastest row, is not a rival of the CI systems."""

    def row(tool: str, seconds: float, role: dict) -> Record:
        return Record("cicd", tool, 100, role=role, timings={"pipeline_warm": timing(seconds)})

    inside = {"kind": "layer", "pair": "{pick}, running {layer}"}
    records = [
        row("baseline", 1.0, FLOOR),
        row("pre_commit", 2.0, {**inside, "layer": "pre-commit hooks"}),
        row("nox", 6.0, {**inside, "layer": "nox sessions"}),
        row("github_actions", 9.0, {"kind": "candidate"}),
        row("buildbot", 30.0, {"kind": "candidate"}),
    ]
    ranking = summary.rank_stage(records, ONLY | {"speed": 1.0}, scoring.Context())
    assert [t for t, _, _ in ranking.candidates] == ["github_actions", "buildbot"]
    assert ranking.layer.floors == {"baseline"}
    assert summary.pick(ranking) == "GitHub Actions, running pre-commit hooks"


def tracking_records() -> list[Record]:
    return [
        Record("tracking", tool, 1_600, role=FLOOR if tool == "baseline" else {},
               capabilities={"safe when a team logs at once": "team set-up"},
               timings={"log_params": timing(seconds)}, correctness={"read_back": 1.0})
        for tool, seconds in (("baseline", 0.5), ("mlflow", 1.0), ("trackio", 3.0))
    ]  # fmt: skip


def test_lost_work_in_the_team_set_up_fails_correctness_for_a_profile_that_weighs_team_use():
    """Rule 6: MLflow's alias race (a counted error in the team records) and the baseline's
    unlocked registry lose work; a single-user verdict must not ignore it."""

    def team(tool: str, clients: int, succeeded: float) -> Record:
        return Record("tracking", tool, clients, setup="team", correctness={
            "calls_succeeded": succeeded, "model_versions_read_back": 1.0})  # fmt: skip

    setup = [team("mlflow+postgresql", 16, 0.98), team("trackio", 16, 1.0),
             team("baseline", 16, 1.0)]  # fmt: skip
    setup[-1].correctness["model_versions_read_back"] = 0.54
    weights = ONLY | {"speed": 1.0}
    team_use = scoring.Context(setups={"tracking": {"team": setup}})
    ranking = scoring.rank(tracking_records(), weights, team_use)
    assert ranking.winner == "trackio" and "mlflow" in ranking.gate_failures
    assert {t for t, _, _ in ranking.totals[-2:]} == {"mlflow", "baseline"}
    assert "calls succeeded 0.98 at 16" in ranking.gate_failures["mlflow"]
    answers = ranking.capabilities
    assert answers["baseline"]["safe when a team logs at once"]["answer"] == "no"
    assert answers["trackio"]["safe when a team logs at once"]["answer"] == "yes"
    alone = dataclasses.replace(team_use, team_use=False)
    assert scoring.rank(tracking_records(), weights, alone).winner == "mlflow"


def test_a_stage_whose_team_set_up_did_not_run_says_so_beside_the_pick():
    """Rule 6: what the team set-up would have answered is 'not probed', for every tool."""
    ranking = scoring.rank(tracking_records(), ONLY | {"speed": 1.0})
    assert ranking.missing_setups == ["team"]
    assert "the team set-up did not run" in summary.why(ranking)
    lines = evidence.rests_on(ranking, tracking_records(), {})["lines"]
    assert any(line.startswith("The team set-up did not run") for line in lines)


def test_every_stage_declares_its_floor_and_the_capabilities_it_asks_for():
    """Rule 5: each stage states which rows are candidates, layers or floors; every
    registered tool gets a part, the baseline is the floor, layers name what they are."""
    from adapters import registry
    from benchmarks import harness

    for stage in registry.stages():
        parts = {tool: harness.decision(stage, tool) for tool in registry.tools(stage)}
        assert parts["baseline"][0]["kind"] == "floor", stage
        assert parts["baseline"][1], f"{stage} asks the floor no capabilities"
        for tool, (role, asked) in parts.items():
            assert role["kind"] in ("candidate", "floor", "layer"), (stage, tool)
            assert asked, (stage, tool)
            if role["kind"] == "layer":
                assert role["layer"] and "{pick}" in role["pair"], (stage, tool)
        assert any(role["kind"] == "candidate" for role, _ in parts.values()), stage
