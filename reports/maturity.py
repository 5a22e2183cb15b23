"""Maturity: how safe a tool is to adopt, from dated, sourced facts plus one measured flag.

Facts per tool live beside the stage's other facts, as ``[maturity.<tool>]`` in
``reports/facts/<stage>.toml`` (first and latest release,
releases in the last 12 months, licence kind, who maintains it, hosted-service status,
the modules its docs call public). The measured flag: the adapter needed modules the
tool does not document as public (``Record.tool_imports``) to do the stage's job.

A part that is not known costs: it scores 0, it is not dropped from the mean (the
roll-your-own baseline has no release history and 'your team' maintains it). A part
that does not apply is left out: a hosted service where the tool has none, public
modules for a tool driven as a program. A tool that bakeoff runs through an emulator
(GitHub Actions through act) has the tool's facts, not the emulator's (``emulated_by``).
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from reports.results import Record, fact_key

FACTS = Path(__file__).resolve().parent / "facts"  # one <stage>.toml per stage
DEFAULT_LICENCE_SCORES = {"permissive": 1.0, "copyleft": 0.5, "proprietary-service": 0.25}
MAINTAINER_SCORES = {"foundation": 1.0, "company": 0.8, "community": 0.6, "your team": 0.5}
PARTS = ("age", "releases", "licence", "maintainer", "service", "public_api")


def tool_facts(table: str, folder: Path = FACTS) -> dict[str, dict]:
    """Each tool's ``[<table>.<tool>]`` of every ``<stage>.toml``, by "stage.tool"."""
    found = {}
    for path in sorted(folder.glob("*.toml")):
        tools = tomllib.loads(path.read_text(encoding="utf-8")).get(table, {})
        found |= {f"{path.stem}.{tool}": entry for tool, entry in tools.items()}
    return found


def load(folder: Path = FACTS) -> dict[str, dict]:
    """Maturity facts per "stage.tool"."""
    return tool_facts("maturity", folder)


def load_openness(folder: Path = FACTS) -> dict[str, dict]:
    """Dated openness facts per "stage.tool" (licence, self-hosting, hosted-service status)."""
    return tool_facts("openness", folder)


def private_imports(record: Record, facts: dict) -> list[str]:
    """The tool imports the adapter needed that the tool's docs do not call public."""
    public = set(facts.get("public_modules", []))
    if not public:
        return []
    private = []
    for spec in record.tool_imports:
        module, _, name = spec.partition(":")
        hidden = any(part.startswith("_") for part in (*module.split("."), name) if part)
        if hidden or module not in public:
            private.append(spec)
    return private


def parts(facts: dict, record: Record, licence_scores: dict[str, float],
          today: date) -> dict[str, float | None]:  # fmt: skip
    """0..1 per part; 0 where the part is not known; None where it does not apply."""
    first = facts.get("first_release")
    age = (today - date.fromisoformat(first)).days / 365.25 if first else 0.0
    releases = facts.get("releases_last_12_months", 0)
    service = str(facts.get("hosted_service", "none"))
    return {
        "age": min(age / 5, 1.0),
        "releases": min(releases / 4, 1.0),
        "licence": licence_scores.get(facts.get("licence_kind", ""), 0.0),
        "maintainer": MAINTAINER_SCORES.get(facts.get("maintainer", ""), 0.0),
        "service": None if service == "none" else (0.0 if "shut" in service else 1.0),
        "public_api": _public_api(record, facts),
    }


def _public_api(record: Record, facts: dict) -> float | None:
    """1 when the adapter used only documented modules; 0 when it needed others, or when
    the tool's public modules are not known; None for a tool not used as a library."""
    if not record.tool_imports:
        return None
    if not facts.get("public_modules"):
        return 0.0
    return 0.0 if private_imports(record, facts) else 1.0


def emulator(facts: dict[str, dict], stage: str, tool: str) -> str:
    """What runs the tool here in its place ("act"), or "" when the tool itself runs."""
    return str(facts.get(fact_key(stage, tool), {}).get("emulated_by", ""))


def maturity(records: dict[str, Record], stage: str, facts: dict[str, dict],
             licence_scores: dict[str, float] | None = None,
             today: date | None = None) -> dict[str, float]:  # fmt: skip
    """tool -> mean of its maturity parts that apply, unknown ones at 0 (higher is better);
    tools without facts are left out (shown as n/a)."""
    scores = licence_scores or DEFAULT_LICENCE_SCORES
    result = {}
    for tool, record in records.items():
        entry = facts.get(fact_key(stage, tool))
        if entry is None:
            continue
        applying = [v for v in parts(entry, record, scores, today or date.today()).values()
                    if v is not None]  # fmt: skip
        if applying:
            result[tool] = sum(applying) / len(applying)
    return result
