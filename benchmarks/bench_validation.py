"""Validation stage: each validator on the same defective Wish frame, at each size."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from adapters import registry, setups
from benchmarks import datacache, harness, probes, spark_workload
from benchmarks.forked import forked_map
from benchmarks.user_code import code_lines

STAGE = "validation"
REPEATS = 5
PANDAS_CROSSOVER_MAX_ROWS = 1_000_000
SPARK_ONE_ROUND_ROWS = 10_000_000

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def workload(bench_options, rows):
    """(frame as given, clean frame, defective frame, ground truth) for this size. The
    synthetic clean frame is cached (deduplicating a million rows takes ~6 s a trial), and
    the frame as given read only where the probes read it (None elsewhere)."""
    from scenarios import defects

    if bench_options.data:
        frame = datacache.synthetic_or_user_frame(bench_options, rows)
        clean = defects.deduplicated(frame)
    else:
        frame = None
        if probes.probes_here(bench_options, rows):
            frame = datacache.synthetic_or_user_frame(bench_options, rows)
        datacache.synthetic_source(rows)
        clean = _synthetic_clean(rows)
    defective, truth = defects.inject_defects(clean)
    return frame, clean, defective, truth


def workload_data(bench_options, rows: int) -> None:
    """Cache what this size's trials read (``python -m benchmarks.prepare``): the clean
    frame, and the frame as given where the probes read it."""
    if probes.probes_here(bench_options, rows):
        datacache.cached_synthetic(rows, load=False)
    _synthetic_clean(rows, load=False)


def _synthetic_clean(rows: int, load: bool = True):
    """The synthetic frame less its duplicate rows, cached."""
    from scenarios import defects, wish

    return datacache.cached_pickle(
        f"wish-clean-{rows}",
        (wish.__file__, defects.__file__),
        lambda: defects.deduplicated(datacache.cached_synthetic(rows)),
        load,
    )


@pytest.fixture(scope="module")
def validator(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        yield adapter


def test_validate(benchmark, validator, workload, recorder, bench_options, tool, rows):
    frame, clean, defective, truth = workload
    with harness.trial(recorder, tool, rows) as record:
        findings = harness.measure(
            benchmark,
            "validate",
            validator.validate,
            defective,
            rounds=_rounds(rows, bench_options),
            warmup=_warmup(rows),
        )
        recorder.timing(tool, rows, "validate", benchmark)
        already = _on_clean(validator, clean, tool, rows)
        record.correctness = score(_pairs(findings) - already, truth)
        record.correctness["clean_frame_findings"] = len(already)
        record.details["tables"] = [per_kind_table(_pairs(findings) - already, truth)]
        record.details["non_default_settings"] = list(validator.non_default_settings)
        record.user_code = {
            label: code_lines(source) for label, source in type(validator).user_code().items()
        }
        # once per tool: what the data as given holds, and the features
        if probes.probes_here(bench_options, rows):
            with probes.answers(record):
                given = validator.validate(frame)
                table = findings_table("Findings on the data as given", given)
                record.details["tables"].append(table)
                _probe_features(record, validator, clean, defective, truth)
    assert record.correctness["recall"] == 1.0, "the validator missed injected defects"


def test_validate_default(benchmark, validator, workload, recorder, bench_options, tool, rows):
    """Where ``validate`` asks the tool for more than its default, time the default too."""
    if not validator.non_default_settings:
        pytest.skip(f"{tool} validates with its default settings already")
    _, clean, defective, truth = workload
    with harness.trial(recorder, tool, rows) as record:
        findings = harness.measure(
            benchmark,
            "validate_default",
            validator.validate_default,
            defective,
            rounds=_rounds(rows, bench_options),
            warmup=_warmup(rows),
        )
        recorder.timing(tool, rows, "validate_default", benchmark)
        already = DEFAULT_ON_CLEAN.pop((tool, rows), None)
        if already is None:  # test_validate did not run first
            already = _pairs(validator.validate_default(clean))
        partial = score(_pairs(findings) - already, truth)
        record.measures["recall with the default settings"] = partial["recall"]


# (tool, rows) -> the findings of validate_default on the clean frame, found beside
# validate's by test_validate for test_validate_default
DEFAULT_ON_CLEAN: dict[tuple[str, int], set[tuple[str, int]]] = {}


def _on_clean(validator, clean, tool: str, rows: int) -> set[tuple[str, int]]:
    """The (rule, row) findings of ``validate`` on the clean frame; where the tool is also
    timed with its defaults, those of ``validate_default`` too, found at the same time in a
    forked copy (answers, not times: nothing is timed meanwhile, and the trial process
    makes the same calls in the same order as if the copy's call were not made)."""
    calls = [validator.validate]
    if validator.non_default_settings:
        calls.append(validator.validate_default)
    found = forked_map(lambda call: _pairs(call(clean)), calls)
    if len(found) > 1:
        DEFAULT_ON_CLEAN[tool, rows] = found[1]
    return found[0]


def _probe_features(record, validator, clean, defective, truth) -> None:
    """Each feature is exercised on the workload and judged by the same test for every tool."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "report.html"
        probes.record_probe(
            record,
            "HTML report for people",
            lambda: report_shows_each_rule(
                validator.html_report(defective, html), validator, defective, truth
            ),
        )
    probes.record_probe(
        record,
        "infers rules from data",
        lambda: inferred_rules_catch_defects(validator, clean, defective, truth),
    )


def report_shows_each_rule(page: Path, validator, defective, truth) -> str:
    """What a validation report must show a person, whichever tool wrote it: every rule
    named (its column) with how many rows break it, and examples of the failing values
    (for rules on one column's values). Raises ``probes.Absent`` naming what is missing."""
    text = visible_text(page.read_text(encoding="utf-8"))
    counts = {f.rule: f.count for f in validator.validate(defective)}
    missing = []
    for rule in validator.rules:
        columns = [rule.column] if rule.column else list(rule.parts)
        if not any(_has_word(text, column) for column in columns):
            missing.append(f"{rule.kind}: its column {columns[0]!r} is not named")
        elif not any(_has_number(text, n) for n in _break_counts(rule, counts, defective)):
            missing.append(f"{rule.kind}: no count of its {counts.get(rule.kind, 0)} rows")
        elif rule.check in ("range", "in_set", "regex"):
            bad = _injected_values(rule, defective, truth)
            shown = [value for value in bad if _shows_value(text, value)]
            if len(shown) < min(2, len(bad)):
                missing.append(f"{rule.kind}: no failing value (e.g. {bad[0]!r}) shown")
    if missing:
        summary = f"{len(missing)} of {len(validator.rules)} rules fall short: "
        raise probes.Absent(summary + "; ".join(missing))
    return (
        f"{page.stat().st_size:,} bytes of HTML naming all {len(validator.rules)} rules "
        "with their failing-row counts and examples of the failing values"
    )


def _break_counts(rule, counts: dict, defective) -> set[int]:
    """How many rows break ``rule``; for duplicates, later copies or every member."""
    found = {counts.get(rule.kind, 0)}
    if rule.check == "unique_rows":
        found.add(int(defective.duplicated(subset=list(rule.parts), keep=False).sum()))
    return found


def _injected_values(rule, defective, truth) -> list:
    rows = sorted(row for kind, row in truth if kind == rule.kind)
    return list(dict.fromkeys(defective.loc[rows, rule.column].tolist()))


def visible_text(page: str) -> str:
    """The text a person sees on an HTML page, one text node a line (no scripts/styles)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.lines, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.hidden and data.strip():
                self.lines.append(data.strip())

    parser = Text()
    parser.feed(page)
    return "\n".join(parser.lines)


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


def _has_number(text: str, number: float) -> bool:
    return any(float(token) == number for token in re.findall(r"-?\d+(?:\.\d+)?", text))


def _shows_value(text: str, value) -> bool:
    """``value`` is a text node of its own (numbers compared as numbers)."""
    for line in text.splitlines():
        try:
            if float(line) == float(value):
                return True
        except ValueError:
            if line == str(value):
                return True
    return False


def inferred_rules_catch_defects(validator, clean, defective, truth) -> str:
    """Rules a tool infers from clean data must accept that data and flag injected defects."""
    own = validator.infer_rules(clean, clean)
    if own.rows:
        raise probes.Absent(
            f"the {own.checks} inferred checks reject {len(own.rows)} rows of the frame "
            "they were inferred from"
        )
    found = validator.infer_rules(clean, defective)
    defect_rows = {row for _, row in truth}
    caught = set(found.rows) & defect_rows
    if not caught:
        raise probes.Absent(
            f"the {found.checks} inferred checks flag none of the {len(defect_rows)} rows "
            "with injected defects"
        )
    kinds = sorted({kind for kind, row in truth if row in caught})
    return (
        f"{found.checks} checks inferred from the clean frame; they accept it and flag "
        f"{len(caught)} of {len(defect_rows)} rows with injected defects ({', '.join(kinds)})"
    )


def _rounds(rows: int, bench_options) -> int:
    """Fewer rounds at a million rows, where one round takes seconds; one round and no
    warm-up at ten million on Spark, where Great Expectations' round takes a quarter of
    an hour on 2 cores (the report shows n=1: no spread)."""
    if rows >= SPARK_ONE_ROUND_ROWS:
        return 1
    return min(3, bench_options.repeats) if rows >= 1_000_000 else bench_options.repeats


def _warmup(rows: int) -> int:
    """No untimed warm-up call from a million rows on, where one call takes seconds to a
    minute: first-call costs are small beside it and the median of the rounds sets a
    cold first round aside (as the monitoring stage does)."""
    return 0 if rows >= 1_000_000 else 1


def _pairs(findings) -> set[tuple[str, int]]:
    return {(finding.rule, row) for finding in findings for row in finding.rows}


def score(found: set, truth: list[tuple[str, int]]) -> dict[str, float]:
    expected = set(truth)
    hits = len(found & expected)
    return {
        "recall": hits / len(expected) if expected else 1.0,
        "precision": hits / len(found) if found else 1.0,
        "defects_injected": len(expected),
        "findings": len(found),
    }


def per_kind_table(found: set, truth: list[tuple[str, int]]) -> dict:
    expected, rows = Counter(kind for kind, _ in truth), []
    flagged = Counter(kind for kind, _ in found)
    hits = Counter(kind for kind, _ in found & set(truth))
    for kind in sorted(expected | flagged):
        recall = hits[kind] / expected[kind] if expected[kind] else None
        precision = hits[kind] / flagged[kind] if flagged[kind] else None
        rows.append([kind, expected[kind], flagged[kind], recall, precision])
    return {
        "title": "Recall and precision per defect kind",
        "columns": ["defect kind", "injected", "flagged", "recall", "precision"],
        "rows": rows,
    }


def findings_table(title: str, findings) -> dict:
    return {
        "title": title,
        "columns": ["rule", "column", "rows flagged"],
        "rows": [[f.rule, f.column or "(row)", f.count] for f in findings],
    }


# --- the spark set-up: the same rules and defects on Spark, and the pandas crossover ---


@pytest.fixture(scope="module")
def parquet_workload(bench_options, rows):
    """The defective and clean frames of ``rows`` rows as Parquet (with ``row_id``) and the
    injected defects; synthetic ones are cached like ``datacache.cached_synthetic``."""
    return spark_workload.prepare(bench_options, rows)


@pytest.fixture(scope="module")
def spark(tool, rows, recorder):
    """A SparkSession for a '+spark' tool, started once per trial (timed as
    ``session_start``) and stopped with its JVM at the end; None for the pandas tools."""
    import time

    from adapters.base import NotRunnable
    from adapters.validation.spark import load, session

    if not tool.endswith("+spark"):
        yield None
        return
    with harness.trial(recorder, tool, rows):
        reason = load(tool).unsupported_reason()
        if reason:
            raise NotRunnable(reason)
        started = time.perf_counter()
        with harness.measuring():
            spark_session = session.start()
        recorder.once(tool, rows, "session_start", time.perf_counter() - started)
    try:
        yield spark_session
    finally:
        session.stop(spark_session)


@pytest.fixture(scope="module")
def spark_validator(tool, rows, recorder, spark):
    """The tool's validator: a Spark one on ``spark``, or the stage's pandas one (at the
    crossover sizes only), set up (timed) and closed at the end."""

    from adapters.base import NotRunnable
    from adapters.validation.spark import load

    base = setups.base_tool(tool)
    with harness.trial(recorder, tool, rows):  # a tool that cannot run here is recorded
        if spark is None and rows > PANDAS_CROSSOVER_MAX_ROWS:
            raise NotRunnable(
                f"the pandas tools run up to {PANDAS_CROSSOVER_MAX_ROWS:,} rows only (the "
                "crossover with Spark); beyond it the data is taken to be too big for pandas"
            )
        adapter = registry.load(STAGE, base)() if spark is None else load(tool)(spark)
    package = "pyspark" if base == "baseline" and spark else None
    with harness.opened(recorder, adapter, rows, tool, package) as opened:
        yield opened


@pytest.mark.setup("spark")
def test_spark_validate(
    benchmark, spark_validator, parquet_workload, recorder, bench_options, tool, rows
):
    """From the Parquet file to the findings: Spark reads it inside its jobs, the pandas
    tools read it inside the timed call too, so the operation is the same for all."""
    from adapters.validation.spark import session
    from adapters.validation.spark.workload import read_pandas

    validator, work = spark_validator, parquet_workload

    def check(path: Path):
        frame = validator.read(path) if hasattr(validator, "spark") else read_pandas(path)
        return validator.validate(frame)

    truth, returns_rows = work.truth(), getattr(validator, "returns_rows", True)
    with harness.trial(recorder, tool, rows) as record:
        findings = harness.measure(
            benchmark, "validate", check, work.defective, rounds=_rounds(rows, bench_options),
            warmup=0 if rows >= SPARK_ONE_ROUND_ROWS else 1,
        )  # fmt: skip
        recorder.timing(tool, rows, "validate", benchmark)
        on_clean = check(work.clean)
        _score_spark(record, findings, on_clean, truth, returns_rows)
        median = record.timings.get("validate", {}).get("median")
        record.measures["rows_per_second"] = work.rows() / median if median else None
        record.details["workload"] = spark_workload.made(work)
        record.details["non_default_settings"] = list(validator.non_default_settings) + (
            session.non_default_settings() if hasattr(validator, "spark") else []
        )
        record.details["tables"] = [
            per_kind_table(_pairs(findings) - _pairs(on_clean), truth) if returns_rows else None,
            returned_table(findings),
        ]
        record.details["tables"] = [t for t in record.details["tables"] if t]
        record.user_code = {
            label: code_lines(source) for label, source in type(validator).user_code().items()
        }
        if not returns_rows:
            record.not_equivalent["validate"] = (
                "says which rules failed, not which rows: Pandera's PySpark backend stops "
                "each check at the first failing row (filter(...).limit(1).count()) and "
                "returns an error summary per check, so finding the rows is a second query"
            )
        probes.record_probe(
            record, "names every failing row", lambda: names_every_row(findings, truth)
        )
    assert record.correctness["rules_recall"] == 1.0, "the validator missed a broken rule"
    if returns_rows:
        assert record.correctness["recall"] == 1.0, "the validator missed injected defects"


def _score_spark(record, findings, on_clean, truth, returns_rows: bool) -> None:
    """Rule-level recall/precision for every tool; row-level where the tool names rows."""
    already = {f.rule for f in on_clean}
    flagged = {f.rule for f in findings} - already
    injected = {kind for kind, _ in truth}
    record.correctness = {
        "rules_recall": len(flagged & injected) / len(injected),
        "rules_precision": len(flagged & injected) / len(flagged) if flagged else 1.0,
        "clean_frame_findings": len(on_clean),
    }
    if returns_rows:
        record.correctness |= score(_pairs(findings) - _pairs(on_clean), truth)


def names_every_row(findings, truth) -> str:
    """The findings name each injected defect's row (by ``row_id``), not only its rule."""
    named = _pairs(findings) & set(truth)
    if len(named) < len(truth):
        broken = sorted({f.rule for f in findings})
        raise probes.Absent(
            f"{len(broken)} rules reported broken, {len(named)} of {len(truth)} injected "
            f"defect rows named ({sum(f.count for f in findings)} rows returned in all)"
        )
    return f"all {len(truth)} injected defect rows named by row_id, per rule"


def returned_table(findings) -> dict:
    return {
        "title": "What the user gets back per broken rule",
        "columns": ["rule", "column", "rows named"],
        "rows": [[f.rule, f.column or "(row)", f.count or "none (rule failed)"] for f in findings],
    }
