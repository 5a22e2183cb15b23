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
    assert validator.translation_lines() > 0


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
        assert validator.infer_rules(clean) > 0
    except NotSupported as missing:
        assert validator.name in str(missing) and "infer_rules" in str(missing)
