"""Conformance suite for the linting stage: every linter on the small package with
labelled defects and on its clean twin (the real code bases are for the benchmark)."""

import pytest

from adapters import registry
from adapters.linting import package
from adapters.linting.base import Linter
from benchmarks.bench_linting import matched

pytestmark = pytest.mark.linting
TOOLS = list(registry.tools("linting"))
# the kinds each tool's common rule set cannot see, and why
BLIND = {
    "baseline": set(package.KINDS) - {package.SYNTAX_ERROR},  # py_compile: syntax only
    "pylint": {package.BLANK_LINES, package.SPACING},  # no whitespace checks since 2.6
}


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("linting")
    defects = package.write_package(root / "defective", defective=True)
    package.write_package(root / "clean", defective=False)
    return root / "defective", defects, root / "clean"


@pytest.fixture(scope="module", params=TOOLS)
def linter(request, open_tool):
    with open_tool("linting", request.param) as adapter:
        yield adapter


@pytest.fixture(scope="module")
def findings(linter, trees):
    """Each run once per tool (pylint takes over 10 s of CPU even on six files): the
    defective package and the clean twin, with the common rules."""
    defective, _, clean = trees
    return linter.lint(defective, True), linter.lint(clean, True)


def test_the_package_has_one_labelled_defect_of_each_kind(trees):
    defective, defects, clean = trees
    assert sorted(d.kind for d in defects) == sorted(package.KINDS)
    for defect in defects:
        lines = (defective / defect.path).read_text(encoding="utf-8").splitlines()
        assert lines[defect.first_line - 1].strip(), defect
    assert {p.relative_to(clean) for p in clean.rglob("*.py")} == {
        p.relative_to(defective) for p in defective.rglob("*.py")
    }


def test_common_rules_catch_every_kind_the_tool_has(linter, trees, findings):
    caught = {d.kind for d in matched(findings[0], trees[1])}
    assert caught == set(package.KINDS) - BLIND.get(linter.name, set())


def test_clean_twin_has_no_findings_with_the_common_rules(findings):
    assert findings[1] == []


def test_findings_name_files_relative_to_the_tree(trees, findings):
    defective = trees[0]
    for finding in findings[0]:
        assert (defective / finding.path).is_file(), finding
        assert finding.line >= 1 and finding.code


def test_formatter_flags_the_style_defects_and_not_the_clean_twin(linter, trees):
    defective, defects, clean = trees
    if type(linter).format_check is Linter.format_check:
        pytest.skip(f"{linter.name} has no formatter")
    # the file that cannot parse is left out: formatters refuse it with an error
    (defective / package.PACKAGE / "report.py").unlink()
    try:
        flagged = set(linter.format_check(defective, common=True))
    finally:
        package.write_package(defective, defective=True)
    styled = {d.path for d in defects if d.kind in (package.BLANK_LINES, package.SPACING)}
    assert styled <= flagged
    assert linter.format_check(clean, common=True) == []


def test_caches_stay_in_the_work_folder_and_clear(linter, trees, findings):
    assert not list(trees[0].rglob(".ruff_cache")) and not list(trees[0].rglob("__pycache__"))
    linter.clear_caches()
    assert linter.caches.is_dir() and not any(linter.caches.iterdir())


def test_user_code_is_the_common_rule_set_in_the_tools_files(linter):
    from benchmarks.user_code import code_lines

    files = type(linter).user_code()
    assert files and all(code_lines(text) >= 1 for text in files.values())
    assert all((linter.config / name).read_text() == text for name, text in files.items())


def test_a_tool_failure_names_stage_tool_and_operation(linter, tmp_path):
    from adapters.base import AdapterError

    with pytest.raises(AdapterError, match=rf"linting\.{linter.name} failed in lint"):
        linter.lint(tmp_path / "no such folder")


def test_the_recall_table_has_a_defaults_column_only_where_the_defaults_ran(trees):
    from benchmarks.bench_linting import recall_table

    _, defects, _ = trees
    both = recall_table(defects, set(defects[:1]), set())
    common_only = recall_table(defects, set(defects[:1]), None)  # a smoke run
    assert both["columns"][-2:] == ["common rule set", "defaults"]
    assert both["rows"][0][-2:] == [True, False]
    assert common_only["columns"][-1] == "common rule set" and "defaults" not in str(common_only)
    assert [row[-1] for row in common_only["rows"]] == [d == defects[0] for d in defects]
