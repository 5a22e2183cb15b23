"""Conformance suite for the validation stage: written once, run for every validator."""

import pytest

from adapters import registry
from adapters.base import AdapterError
from scenarios import defects, wish

pytestmark = pytest.mark.validation
TOOLS = list(registry.tools("validation"))


@pytest.fixture(scope="module")
def frames():
    raw = wish.generate(3000, seed=11)
    clean = raw.drop_duplicates().reset_index(drop=True)
    defective, truth = defects.inject_defects(clean, seed=3)
    return raw, clean, defective, truth


@pytest.fixture(scope="module", params=TOOLS)
def validator(request, open_tool):
    with open_tool("validation", request.param) as adapter:
        yield adapter


def _pairs(findings):
    return {(f.rule, row) for f in findings for row in f.rows}


def test_catches_every_injected_defect_and_nothing_else(validator, frames):
    _, _, defective, truth = frames
    assert _pairs(validator.validate(defective)) == set(truth)


def test_clean_frame_has_no_findings(validator, frames):
    assert validator.validate(frames[1]) == []


def test_raw_frame_reports_only_the_real_duplicate_quirk(validator, frames):
    raw = frames[0]
    findings = validator.validate(raw)
    assert [f.rule for f in findings] == ["duplicate_row"]
    assert set(findings[0].rows) == set(raw.index[raw.duplicated()])


def test_same_defects_give_same_findings_across_tools(frames):
    defective = frames[2]
    results = {}
    for tool in TOOLS:
        if registry.missing("validation", tool) is None:
            with registry.load("validation", tool)() as adapter:
                results[tool] = _pairs(adapter.validate(defective))
    assert len(results) == len(TOOLS)
    assert all(found == results["baseline"] for found in results.values())


def test_setup_steps_are_recorded(validator):
    assert validator.setup_steps and all(s.seconds >= 0 for s in validator.setup_steps)


def test_user_code_is_the_rules_in_the_tools_form_without_docstrings(validator):
    from benchmarks.user_code import code_lines

    code = type(validator).user_code()
    assert "rules in the tool's form" in code
    for label, source in code.items():
        assert code_lines(source) > 5, label
        assert '"""' not in source, f"{label} counts a docstring"


def test_default_settings_give_part_of_the_findings_where_bakeoff_asks_for_more(validator, frames):
    defective = frames[2]
    complete, default = (
        _pairs(validator.validate(defective)),
        _pairs(validator.validate_default(defective)),
    )
    if validator.non_default_settings:
        assert default and default < complete, "the non-default setting changes nothing"
        assert all("validate_default" in s for s in validator.non_default_settings)
    else:
        assert default == complete


def test_a_tool_failure_names_stage_tool_and_operation(validator):
    with pytest.raises(AdapterError, match=rf"validation\.{validator.name} failed in validate"):
        validator.validate(frames_without_columns())


def frames_without_columns():
    import pandas as pd

    return pd.DataFrame({"unrelated": [1, 2, 3]})


def test_optional_features_work_or_say_not_supported(validator, frames, tmp_path):
    from adapters.base import NotSupported

    _, clean, defective, _ = frames
    try:
        page = validator.html_report(defective, tmp_path / "report.html").read_text()
        assert "<html" in page.lower() or "<table" in page.lower()
        assert "price" in page
    except NotSupported as missing:
        assert validator.name in str(missing) and "html_report" in str(missing)
    try:
        inferred = validator.infer_rules(clean, clean)
    except NotSupported as missing:
        assert validator.name in str(missing) and "infer_rules" in str(missing)
    else:
        assert inferred.checks > 0 and inferred.rows == ()
        flagged = set(validator.infer_rules(clean, defective).rows)
        assert flagged & {row for _, row in frames[3]}


def test_the_report_check_wants_failing_values_not_only_counts(frames, tmp_path):
    """The HTML-report probe applies one test to every tool's page: GX's Data Docs pass,
    the baseline's table of counts does not (it shows no failing values)."""
    from benchmarks import probes
    from benchmarks.bench_validation import report_shows_each_rule

    if registry.missing("validation", "great_expectations"):
        pytest.skip("great_expectations is not installed")
    _, _, defective, truth = frames
    answers = {}
    for tool in ("baseline", "great_expectations"):
        with registry.load("validation", tool)() as adapter:
            page = adapter.html_report(defective, tmp_path / f"{tool}.html")
            answers[tool] = probes.probe(
                lambda a=adapter, p=page: report_shows_each_rule(p, a, defective, truth)
            )
    assert answers["great_expectations"]["answer"] == "yes", answers["great_expectations"]
    assert answers["baseline"]["answer"] == "no"
    assert "no failing value" in answers["baseline"]["evidence"]
