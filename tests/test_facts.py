"""The dated facts the scoring reads: every registered tool has them, beside its stage's
other facts (``reports/facts/<stage>.toml``), dated and sourced."""

import pytest

from adapters import registry
from reports import maturity

pytestmark = pytest.mark.report
TOOLS = [(stage, tool) for stage in registry.stages() for tool in registry.tools(stage)]
# what the 'maturity' and 'openness' criteria read of a tool, and where each fact came from;
# a release field left out is allowed (unknown, it scores 0), a missing table is not
MATURITY = ("licence", "licence_kind", "maintainer", "as_of", "sources")
OPENNESS = ("open_source", "self_hostable", "license", "date", "source")


@pytest.mark.parametrize(("stage", "tool"), TOOLS)
def test_every_registered_tool_has_the_facts_the_scoring_reads(stage, tool):
    where = f"reports/facts/{stage}.toml"
    facts = maturity.load().get(f"{stage}.{tool}")
    assert facts is not None, f"{where} has no [maturity.{tool}]"
    assert [f for f in MATURITY if f not in facts] == [], f"[maturity.{tool}] in {where}"
    openness = maturity.load_openness().get(f"{stage}.{tool}")
    assert openness is not None, f"{where} has no [openness.{tool}]"
    assert [f for f in OPENNESS if f not in openness] == [], f"[openness.{tool}] in {where}"
