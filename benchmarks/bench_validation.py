"""Validation stage: each validator on the same defective Wish frame, at each size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from adapters import registry
from benchmarks import harness

STAGE = "validation"
SIZES = (1_600, 100_000, 1_000_000)
QUICK_SIZES = (2_000,)
REPEATS = 5

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def workload(bench_options, rows):
    """(frame as given, clean frame, defective frame, ground truth) for this size."""
    from scenarios import defects

    frame = harness.synthetic_or_user_frame(bench_options, rows)
    clean = frame.drop_duplicates().reset_index(drop=True)
    defective, truth = defects.inject_defects(clean)
    return frame, clean, defective, truth


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
        )
        recorder.timing(tool, rows, "validate", benchmark)
        already = _pairs(validator.validate(clean))
        record.correctness = score(_pairs(findings) - already, truth)
        record.correctness["clean_frame_findings"] = len(already)
        record.details = {
            "tables": [
                per_kind_table(_pairs(findings) - already, truth),
                findings_table("Findings on the data as given", validator.validate(frame)),
            ],
            "lines_of_code": {
                "rule translation": validator.translation_lines(),
                "adapter file": _code_lines(type(validator)),
            },
        }
        _probe_features(record, validator, clean, defective)
    assert record.correctness["recall"] == 1.0, "the validator missed injected defects"


def _probe_features(record, validator, clean, defective) -> None:
    """Each feature is exercised on the workload; the record keeps the result or the error."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "report.html"
        harness.record_probe(
            record,
            "HTML report for people",
            lambda: f"{validator.html_report(defective, html).stat().st_size:,} bytes of HTML",
        )
    harness.record_probe(
        record, "infers rules from data", lambda: f"{validator.infer_rules(clean)} checks inferred"
    )


def _rounds(rows: int, bench_options) -> int:
    """Fewer rounds at a million rows, where one round takes seconds."""
    return min(3, bench_options.repeats) if rows >= 1_000_000 else bench_options.repeats


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


def _code_lines(cls) -> int:
    import inspect

    source = Path(inspect.getfile(cls)).read_text(encoding="utf-8").splitlines()
    return sum(1 for line in source if line.strip() and not line.strip().startswith("#"))
