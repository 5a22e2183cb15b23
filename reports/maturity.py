"""Maturity: how safe a tool is to adopt, from dated, sourced facts plus one measured flag.

Facts per "stage.tool" live in ``reports/facts/maturity.toml`` (first and latest release,
releases in the last 12 months, licence kind, who maintains it, hosted-service status,
the modules its docs call public). The measured flag: the adapter needed modules the
tool does not document as public (``Record.tool_imports``) to do the stage's job.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from reports.results import Record, fact_key

PATH = Path(__file__).resolve().parent / "facts" / "maturity.toml"
DEFAULT_LICENCE_SCORES = {"permissive": 1.0, "copyleft": 0.5, "proprietary-service": 0.25}
MAINTAINER_SCORES = {"foundation": 1.0, "company": 0.8, "community": 0.6, "your team": 0.5}
PARTS = ("age", "releases", "licence", "maintainer", "service", "public_api")


def load(path: Path = PATH) -> dict[str, dict]:
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})


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
    """0..1 per part; None where the part does not apply or is not known."""
    first = facts.get("first_release")
    age = (today - date.fromisoformat(first)).days / 365.25 if first else None
    releases = facts.get("releases_last_12_months")
    service = str(facts.get("hosted_service", "none"))
    return {
        "age": min(age / 5, 1.0) if age is not None else None,
        "releases": min(releases / 4, 1.0) if releases is not None else None,
        "licence": licence_scores.get(facts.get("licence_kind", "")),
        "maintainer": MAINTAINER_SCORES.get(facts.get("maintainer", "")),
        "service": None if service == "none" else (0.0 if "shut" in service else 1.0),
        "public_api": 0.0 if private_imports(record, facts) else 1.0,
    }


def maturity(records: dict[str, Record], stage: str, facts: dict[str, dict],
             licence_scores: dict[str, float] | None = None,
             today: date | None = None) -> dict[str, float]:  # fmt: skip
    """tool -> mean of its known maturity parts (higher is better); tools without facts
    are left out (shown as n/a)."""
    scores = licence_scores or DEFAULT_LICENCE_SCORES
    result = {}
    for tool, record in records.items():
        entry = facts.get(fact_key(stage, tool))
        if entry is None:
            continue
        known = [v for v in parts(entry, record, scores, today or date.today()).values()
                 if v is not None]  # fmt: skip
        if known:
            result[tool] = sum(known) / len(known)
    return result
