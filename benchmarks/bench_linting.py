"""Linting stage: each linter on a package with labelled defects (recall per defect kind,
false positives on its clean twin) and on a real code base nobody here wrote (time with
cold and warm caches, findings), with its defaults and with one common rule set; and the
two formatters' agreement (ruff format and black), file by file.

"rows" here are the lines of Python source of the real code base linted at that size
(flask at the quick size, rich beside it at full size), copied out of site-packages so
no cache lands there.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import NotSupported
from adapters.linting import package
from adapters.linting.base import COMMON
from benchmarks import harness, probes
from benchmarks.forked import forked_map
from benchmarks.user_code import code_lines
from reports.results import stats

STAGE = "linting"
CODE_BASE_BY_LINES = package.code_bases_by_lines()  # the stage's sizes (its STAGE)
REPEATS = 3
NOT_COMPARABLE = (
    "the tools' defaults are not comparable: ruff 0.17 enables 407 rules of many families "
    "by default (only E722 and W605 of pycodestyle, no line length), flake8 pycodestyle "
    "and pyflakes at 79 columns, pylint its own checks; only the common rule set is scored"
)
DEFAULTS_NOT_EQUIVALENT = "each tool's defaults check different rules (see its settings)"
COLD = (
    "cold: the tool's own caches emptied before each round (ruff's and black's result "
    "caches; flake8, isort, pylint and py_compile keep none, so their cold and warm runs "
    "do the same work); the files are in the OS page cache either way"
)
# The warm rounds follow the cold ones with no warm-up call of their own: the last cold
# round is one (it writes the caches and reads the files into the page cache), and the cold
# rounds are the first-call figure
BASELINE_NOT_EQUIVALENT = (
    "py_compile checks syntax only: none of the common rule set's rules are checked"
)
FORMATTER_RIVALS = {"ruff": "flake8_black_isort", "flake8_black_isort": "ruff"}
FORMATTER_NAMES = {"ruff": "ruff format", "flake8_black_isort": "black"}

pytestmark = pytest.mark.linting


@pytest.fixture(scope="module")
def trees(rows):
    """(defective package, its labelled defects, clean twin, real code base) in a temp dir."""
    if rows not in CODE_BASE_BY_LINES:
        sizes = ", ".join(f"{lines} ({name})" for lines, name in CODE_BASE_BY_LINES.items())
        pytest.fail(f"linting sizes are the source lines of its code bases; choose {sizes}")
    with tempfile.TemporaryDirectory(prefix="bakeoff-linting-") as scratch:
        root = Path(scratch)
        defects = package.write_package(root / "defective", defective=True)
        package.write_package(root / "clean", defective=False)
        code_base = package.copy_code_base(CODE_BASE_BY_LINES[rows], root / "code_base")
        yield root / "defective", defects, root / "clean", code_base.parent


@pytest.fixture(scope="module")
def linter(tool, rows, recorder):
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        yield adapter


def test_labelled_defects(linter, trees, recorder, bench_options, tool, rows):
    defective, defects, clean, _ = trees
    with harness.trial(recorder, tool, rows) as record:
        caught = {}
        # the defaults' recall is an extra measure, which a smoke run leaves out
        rule_sets = (True,) if bench_options.smoke else (True, False)
        # answers, not timings: the two packages are linted in two processes at once, each
        # package with both rule sets in one of them (a tool's caches never see two runs
        # on one package at the same time)
        findings = forked_map(lambda tree: {c: linter.lint(tree, c) for c in rule_sets},
                              (defective, clean))  # fmt: skip
        for common in rule_sets:
            found, false_alarms = (by_rules[common] for by_rules in findings)
            caught[common] = matched(found, defects)
            if common:
                record.correctness = score(found, defects, false_alarms, clean)
            else:
                record.measures["clean_twin_findings_defaults"] = len(false_alarms)
                record.measures["recall_defaults"] = len(caught[common]) / len(defects)
        record.details["tables"] = [recall_table(defects, caught[True], caught.get(False))]
        record.details["non_default_settings"] = [*linter.non_default_settings, NOT_COMPARABLE]
        record.details["common_rule_set"] = COMMON
        record.user_code = {
            name: code_lines(text) for name, text in type(linter).user_code().items()
        }
        if probes.probes_here(bench_options, rows):
            _probe_features(record, linter, defective, defects, caught[True])
    kinds = {defect.kind for defect in caught[True]}
    assert package.SYNTAX_ERROR in kinds, "the tool did not report the file that cannot parse"


# feature probe -> the labelled defect kinds the common rule set must flag for a yes
FLAGS = {
    "flags undefined names": (package.UNDEFINED_NAME,),
    "flags unsorted imports": (package.IMPORT_ORDER,),
    "flags unused names": (package.UNUSED_IMPORT, package.UNUSED_VARIABLE),
}
FORMATTED_KINDS = (package.SPACING, package.BLANK_LINES)  # what a formatter rewrites


def _probe_features(record, linter, defective: Path, defects, caught: set) -> None:
    """Capabilities judged on the labelled package: the common rule set's lint (already
    run) flags each kind, and the formatter, asked to check the package, names the files
    whose spacing and blank lines are wrong."""
    for feature, kinds in FLAGS.items():
        probes.record_probe(record, feature, lambda k=kinds: flagged(defects, caught, k))
    probes.record_probe(record, "formats code", lambda: formats(linter, defective, defects))


def flagged(defects, caught: set, kinds: tuple[str, ...]) -> str:
    wanted = [d for d in defects if d.kind in kinds]
    missed = [f"{d.kind} at {d.path}:{d.first_line}" for d in wanted if d not in caught]
    if missed:
        raise probes.Absent(f"not flagged with the common rule set: {', '.join(missed)}")
    return f"flagged with the common rule set: {', '.join(d.kind for d in wanted)}"


def formats(linter, defective: Path, defects) -> str:
    """The formatter on a copy of the package without its file that cannot parse (a
    formatter refuses it, as a user would see)."""
    import shutil

    files = sorted({d.path for d in defects if d.kind in FORMATTED_KINDS})
    with tempfile.TemporaryDirectory(prefix="bakeoff-format-") as scratch:
        tree = Path(shutil.copytree(defective, Path(scratch) / "package"))
        for defect in defects:
            if defect.kind == package.SYNTAX_ERROR:
                (tree / defect.path).unlink()
        to_reformat = linter.format_check(tree, True)
    missed = [path for path in files if path not in to_reformat]
    if missed:
        raise probes.Absent(f"its formatter would leave {', '.join(missed)} as they are")
    return f"its formatter would reformat {', '.join(files)} (of {len(to_reformat)} files)"


def matched(findings, defects) -> set:
    """The labelled defects some finding of the same kind reports within their lines."""
    return {defect for defect in defects if any(_reports(f, defect) for f in findings)}


def score(findings, defects, false_alarms, clean: Path) -> dict:
    """Recall over the labelled defects; precision over the findings of labelled kinds;
    the share of the clean twin's files with any finding (all false alarms)."""
    hits = matched(findings, defects)
    labelled = [f for f in findings if f.kind]
    true = [f for f in labelled if any(_reports(f, d) for d in defects)]
    files = list(clean.rglob("*.py"))
    return {
        "recall": len(hits) / len(defects),
        "precision": len(true) / len(labelled) if labelled else 1.0,
        "false_alarm_file_rate": len({f.path for f in false_alarms}) / len(files),
        "clean_twin_findings": len(false_alarms),
        "defects_injected": len(defects),
    }


def _reports(finding, defect) -> bool:
    return (
        finding.kind == defect.kind
        and finding.path == defect.path
        and defect.first_line <= finding.line <= defect.last_line
    )


def recall_table(defects, common: set, defaults: set | None) -> dict:
    """The defects caught per kind, with the common rule set and (unless ``defaults`` is
    None: a smoke run) with the tool's defaults."""
    sets = {"common rule set": common}
    if defaults is not None:
        sets["defaults"] = defaults
    return {
        "title": f"Injected defects caught, per kind ({'; '.join(sets)})",
        "columns": ["defect kind", "file:lines", *sets],
        "rows": [
            [d.kind, f"{d.path}:{d.first_line}-{d.last_line}", *(d in c for c in sets.values())]
            for d in defects
        ],
    }


def _cold_rounds(record, operation: str, linter, call, rounds: int):
    """Time ``call()`` up to ``rounds`` times, the tool's caches emptied (untimed) before
    each; rounds stop early on the same rule as :func:`harness.measure`'s."""
    samples, result = [], None
    while len(samples) < rounds:
        linter.clear_caches()
        harness.progress(f"{operation}: round {len(samples) + 1} of at most {rounds}")
        with harness.measuring():
            started = time.perf_counter()
            result = call()
            samples.append(time.perf_counter() - started)
        if harness.settled(samples, rounds):
            break
    record.timings[operation] = stats(samples) | {"max_rounds": rounds}
    return result


def test_lint_code_base(benchmark, linter, trees, recorder, bench_options, tool, rows):
    """The common rule set, cold and warm: the timings that compare equal work."""
    code_base = trees[3]
    with harness.trial(recorder, tool, rows) as record:
        cold = _cold_rounds(
            record, "lint_common_cold", linter, lambda: linter.lint(code_base, True),
            bench_options.repeats,
        )  # fmt: skip
        warm = harness.measure(benchmark, "lint_common_warm", linter.lint, code_base, True,
                               rounds=bench_options.repeats, warmup=0)  # fmt: skip
        recorder.timing(tool, rows, "lint_common_warm", benchmark)
        record.measures["code_base_findings_common_rules"] = len(warm)
        record.measures["code_base_files"] = len(list(code_base.rglob("*.py")))
        record.details["code_base"] = CODE_BASE_BY_LINES[rows]
        record.details.setdefault("notes", []).append(f"Lint, common rule set, {COLD}.")
        if tool == "baseline":
            for operation in ("lint_common_cold", "lint_common_warm"):
                record.not_equivalent[operation] = BASELINE_NOT_EQUIVALENT
        tables = record.details.setdefault("tables", [])
        tables.append(codes_table("Most frequent findings on the code base (common rules)", warm))
    # the same places, not the same count: pylint's cyclic-import (R0401) repeats a varying
    # number of times from run to run
    assert _places(cold) == _places(warm), "cold and warm runs disagree on the findings"


def _places(findings) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.code) for f in findings}


def test_lint_code_base_defaults(benchmark, linter, trees, recorder, bench_options, tool, rows):
    """Each tool's defaults, warm: shown, never compared (each checks different rules)."""
    code_base = trees[3]
    with harness.trial(recorder, tool, rows) as record:
        found = harness.measure(benchmark, "lint_defaults", linter.lint, code_base,
                                rounds=bench_options.repeats)  # fmt: skip
        recorder.timing(tool, rows, "lint_defaults", benchmark)
        record.not_equivalent["lint_defaults"] = DEFAULTS_NOT_EQUIVALENT
        record.measures["code_base_findings_defaults"] = len(found)
        tables = record.details.setdefault("tables", [])
        tables.append(codes_table("Most frequent findings on the code base (defaults)", found))


def codes_table(title: str, findings, top: int = 10) -> dict:
    counts = Counter(f.code for f in findings).most_common(top)
    return {"title": title, "columns": ["code", "findings"], "rows": [list(c) for c in counts]}


def test_format_check_code_base(benchmark, linter, trees, recorder, bench_options, tool, rows):
    code_base = trees[3]
    with harness.trial(recorder, tool, rows) as record:
        try:  # a tool without a formatter says so on the first cold round
            _cold_rounds(record, "format_check_cold", linter,
                         lambda: linter.format_check(code_base), bench_options.repeats)  # fmt: skip
        except NotSupported as missing:
            record.details["format_check"] = str(missing)
            pytest.skip(str(missing))
        flagged = harness.measure(benchmark, "format_check_warm", linter.format_check, code_base,
                                  rounds=bench_options.repeats, warmup=0)  # fmt: skip
        recorder.timing(tool, rows, "format_check_warm", benchmark)
        record.measures["code_base_files_to_reformat"] = len(flagged)
        record.details["files_to_reformat"] = flagged
        _formatter_agreement(record, tool, code_base, flagged)


def _formatter_agreement(record, tool: str, code_base: Path, flagged: list[str]) -> None:
    """Which files this formatter and its rival flag, each with its defaults (untimed)."""
    rival = FORMATTER_RIVALS.get(tool)
    if rival is None or registry.missing(STAGE, rival):
        return
    with registry.load(STAGE, rival)() as other:
        theirs = other.format_check(code_base)
    names = (FORMATTER_NAMES[tool], FORMATTER_NAMES[rival])
    record.measures["files_flagged_by_both_formatters"] = len(set(flagged) & set(theirs))
    record.measures["files_flagged_by_this_formatter_only"] = len(set(flagged) - set(theirs))
    record.measures["files_flagged_by_the_other_formatter_only"] = len(set(theirs) - set(flagged))
    record.details.setdefault("tables", []).append(
        {
            "title": f"Files {names[0]} and {names[1]} would reformat (defaults)",
            "columns": ["file", *names],
            "rows": [[f, f in flagged, f in theirs] for f in sorted(set(flagged) | set(theirs))],
        }
    )
