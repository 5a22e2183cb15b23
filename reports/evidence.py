"""What a stage's pick rests on, for the report: the operations its speed compared, the
fitted fixed and marginal costs, the correctness gates, the capabilities each tool has,
its cost over the floor, footprint by part, maturity facts, timings left out as not
equivalent, settings beyond a tool's defaults, failures and the noise verdict."""

from __future__ import annotations

from reports import floor, labels, maturity, verdict
from reports.criteria import FOOTPRINT_PARTS
from reports.labels import label, size, tool_name
from reports.results import Record, fact_key
from reports.scoring import UNTESTED, Ranking

FOOTPRINT_LABELS = {
    "install_mb": "installed MB (Python + Debian)",
    "packages": "packages",
    "import_seconds": "import s",
    "memory_mb": "memory while measured, MB",
}


def rests_on(ranking: Ranking, records: list[Record], facts: dict[str, dict]) -> dict:
    tables = (
        capabilities_table(ranking),
        _scale_table(ranking),
        _footprint_table(ranking),
        _maturity_table(ranking, records, facts),
    )
    return {"lines": _decision_lines(ranking, records) + _lines(ranking, records),
            "tables": [t for t in tables if t]}  # fmt: skip


def _decision_lines(ranking: Ranking, records: list[Record]) -> list[str]:
    """What decides beyond the scores: cost over the floor, gates, ceilings, set-ups."""
    lines = [floor.cost_note(records, ranking)]
    if ranking.gates:
        lines.append("Correctness gates every ranked tool met alike, so not averaged in: "
                     f"{', '.join(label(g) for g in ranking.gates)}.")  # fmt: skip
    lines += [f"{_name(ranking, tool)}: {why}; it ranks below every tool that kept its work."
              for tool, why in sorted(ranking.gate_failures.items())]  # fmt: skip
    lines += [f"{_name(ranking, tool)}: {flaw}: it cannot be a clear pick."
              for tool, flaw in sorted(ranking.flaws.items())]  # fmt: skip
    if ranking.untested:
        lines.append(f"Verdict untested: {ranking.untested}.")
    for name in ranking.missing_setups:
        asked = [c for c, source in ranking.wanted.items() if source == f"{name} set-up"]
        lines.append(
            f"The {name} set-up did not run, so {', '.join(asked)} is not probed "
            f"for any tool (bakeoff run --stage {ranking.stage} --topology {name})."
        )
    return [line for line in lines if line]


def capabilities_table(ranking: Ranking) -> dict | None:
    """Capabilities as rows, tools as columns: yes, no, not supported or not probed."""
    if not ranking.wanted:
        return None
    tools = [tool for tool, _, _ in ranking.totals]
    rows = [[capability, *(ranking.capabilities.get(t, {}).get(capability, {})
                           .get("answer", "not probed") for t in tools)]
            for capability in ranking.wanted]  # fmt: skip
    return {
        "title": "Capabilities a team needs, each answered by a probe or by a set-up's trial "
        "(the floor is asked the same)",
        "columns": [
            "capability",
            *(
                f"{_name(ranking, t)} (floor)" if t in ranking.floors else _name(ranking, t)
                for t in tools
            ),
        ],
        "rows": rows,
    }


def _lines(ranking: Ranking, records: list[Record]) -> list[str]:
    lines = []
    for rows, operations in sorted(ranking.compared.items()):
        shown = ", ".join(operations) or "none (no two tools did the same job)"
        lines.append(f"Speed at {size(ranking.stage, rows)} compares each tool on the "
                     f"operations it shares with another: {shown}.")  # fmt: skip
    unit = labels.unit(ranking.stage)
    if unit.startswith("concurrent"):
        lines.append(
            f"The {unit} and the servers they use all run on this one machine and share its "
            "CPU cores (see the environment): at the larger loads they compete with each "
            "other, which a team whose servers and clients run on separate machines would "
            "not see; the figures are those of one machine."
        )
    if ranking.scale_from:
        unit = labels.unit(ranking.scale_section).split(" ")[-1].removesuffix("s")
        entries = sorted(ranking.scale_from.items())
        held = [(tool, entry) for tool, entry in entries if entry["value"] is not None]
        taken = "; ".join(f"{_name(ranking, tool)} from {_name(ranking, entry['setup'])} "
                          f"({entry['value'] / 1e6:.3g} s per added {unit})"
                          for tool, entry in held)  # fmt: skip
        lost = "; ".join(f"{_name(ranking, tool)} ({_name(ranking, entry['setup'])}: "
                         f"{entry['lost']} concurrent {unit}s)"
                         for tool, entry in entries if entry["value"] is None)  # fmt: skip
        lines.append(
            f"This stage ran at one size, so scale comes from its set-up that grows the load "
            f"({ranking.scale_section}): the seconds each added concurrent {unit} adds to the "
            f"work, each tool's best set-up that kept all its work: {taken or 'none'}. "
            + (f"No scale score for tools that lost work under the load: {lost}. " if lost else "")
            + "Tools without such a set-up get no scale score either."
        )
    if ranking.noise == UNTESTED:
        lines.append("Measurement noise: not tested; one timed round per operation (a smoke "
                     "run) gives no spread to test the lead against.")  # fmt: skip
    elif ranking.noise:
        lines.append(
            f"Measurement noise: the pick {verdict.noise_words(ranking)} (winner's timings at "
            "the top of their interquartile range, rivals' at the bottom)."
        )
    for tool, why in sorted(ranking.failed_at.items()):
        lines.append(f"{_name(ranking, tool)}: {why}; it ranks below every tool that "
                     "completed that size.")  # fmt: skip
    for record in sorted(records, key=lambda r: (r.tool, r.rows)):
        shown = tool_name(record.section, record.tool)
        for operation, why in sorted(record.not_equivalent.items()):
            lines.append(
                f"{shown} at {size(record.section, record.rows)}, {operation}: not "
                f"equivalent ({why}); shown, left out of speed and scale."
            )
        source = record.data
        if source.get("resampled"):
            lines.append(
                f"{shown} at {size(record.section, record.rows)} ran on {source['source']} "
                f"({source['file_rows']:,} rows), resampled with seed {source['seed']}."
            )
    return list(dict.fromkeys(lines + _settings_lines(records)))


def _settings_lines(records: list[Record]) -> list[str]:
    """One line per tool and non-default setting, with the sizes that ran with it: a
    setting added later shows as such next to earlier runs that did not have it."""
    sizes: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        for setting in record.details.get("non_default_settings", []):
            sizes.setdefault((record.tool, setting), []).append(record)
    lines = []
    for (tool, setting), having in sorted(sizes.items()):
        shown = tool_name(having[0].section, tool)
        all_sizes = {r.rows for r in records if r.tool == tool}
        where = ""
        if {r.rows for r in having} != all_sizes:
            where = " at " + ", ".join(
                size(r.section, r.rows) for r in sorted(having, key=lambda r: r.rows)
            )
        lines.append(f"{shown}{where}: bakeoff asks for more than the default: {setting}.")
    return lines


def _scale_table(ranking: Ranking) -> dict | None:
    rows = [
        [_name(ranking, tool), operation, fit.fixed, fit.per_million, fit.sizes]
        for tool, fits in sorted(ranking.fits.items())
        for operation, fit in sorted(fits.items())
    ]
    if not rows:
        return None
    unit = labels.unit(ranking.stage)
    per = f"s per million {unit}"
    if unit.startswith("concurrent"):  # clients or runs: per one more, not per million
        per = f"s per added {unit.removesuffix('s').split(' ')[-1]}"
        rows = [[*row[:3], row[3] / 1e6, row[4]] for row in rows]
    return {
        "title": f"Scale: time = fixed cost + marginal cost × {unit} (least squares over sizes)",
        "columns": [
            "tool",
            "operation",
            "fixed cost, s",
            f"marginal cost, {per}",
            "sizes",
        ],
        "rows": rows,
    }


def _footprint_table(ranking: Ranking) -> dict | None:
    if not ranking.footprint:
        return None
    rows = [
        [
            _name(ranking, tool),
            *(parts.get(p) if parts.get(p) is not None else "n/a" for p in FOOTPRINT_PARTS),
        ]
        for tool, parts in sorted(ranking.footprint.items())
    ]
    return {
        "title": "Footprint by part (each part scored on its own; n/a: not measured or "
        "does not apply, not in the tool's mean)",
        "columns": ["tool", *(FOOTPRINT_LABELS[p] for p in FOOTPRINT_PARTS)],
        "rows": rows,
    }


def _maturity_table(ranking: Ranking, records: list[Record], facts: dict[str, dict]):
    latest = {r.tool: r for r in sorted(records, key=lambda r: r.rows) if r.status == "ok"}
    rows = []
    for tool, record in sorted(latest.items()):
        entry = facts.get(fact_key(ranking.stage, tool))
        if entry is None:
            rows.append([_name(ranking, tool), *["n/a"] * 6, "no maturity facts"])
            continue
        private = maturity.private_imports(record, entry)
        emulated = f" (run here by {entry['emulated_by']})" if entry.get("emulated_by") else ""
        rows.append(
            [
                _name(ranking, tool) + emulated,
                entry.get("first_release", UNKNOWN),
                _latest(entry),
                entry.get("releases_last_12_months", UNKNOWN),
                f"{entry.get('licence', '?')} ({entry.get('licence_kind', '?')})",
                _maintainer(entry),
                entry.get("hosted_service", "none"),
                ", ".join(private) if private else "none",
            ]
        )
    return {
        "title": f"Maturity (dated facts, reports/facts/{ranking.stage.partition('-')[0]}.toml, "
        "of the tool itself, not of an emulator that runs it here; an unknown part scores 0; "
        "private modules measured from the adapter's imports)",
        "columns": [
            "tool",
            "first release",
            "latest release",
            "releases, last 12 months",
            "licence",
            "maintained by",
            "hosted service",
            "private modules the adapter needs",
        ],
        "rows": rows,
    }


UNKNOWN = "unknown (scores 0)"


def _name(ranking: Ranking, tool: str) -> str:
    return tool_name(ranking.stage, tool)


def _latest(entry: dict) -> str:
    if "latest_release" not in entry:
        return UNKNOWN
    return f"{entry['latest_release']} ({entry.get('latest_release_date', '?')})"


def _maintainer(entry: dict) -> str:
    return f"{entry.get('maintainer', '?')}: {entry.get('maintainer_name', '')}".strip(": ")
