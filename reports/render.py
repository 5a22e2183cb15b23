"""Render report.html and report.md from stored results files only (never runs a tool)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from reports import (
    charts,
    evidence,
    findings,
    floor,
    formatting,
    labels,
    maturity,
    scoring,
    summary,
    timesplit,
)
from reports.labels import definition, label
from reports.results import Record, fact_key, load_all

HERE = Path(__file__).resolve().parent
INSTALL = "install"  # the stage name of install-evidence records: not a stage of the pipeline


@dataclass
class Entry:
    """One record with where it came from."""

    record: Record
    source: str  # results file name
    date: str
    machine: str

    @property
    def measured(self) -> str:
        """The day its figures were measured (a reused record keeps its own day)."""
        return (self.record.measured_at or self.date)[:10]


@dataclass
class StageView:
    name: str  # the section: its stage, or "<stage>-<set-up>"
    question: str
    title: str  # the section as people write it: "CI/CD", "Tracking, team set-up"
    sizes: list[int]
    tables: list[dict] = field(default_factory=list)  # one per size
    charts: list[dict] = field(default_factory=list)  # {"title", "png"}
    setup: list[dict] = field(default_factory=list)  # {"tool", "steps"}
    features: dict | None = None
    details: list[dict] = field(default_factory=list)  # {"tool", "rows", "tables", ...}
    facts: list[dict] = field(default_factory=list)
    ranking: scoring.Ranking | None = None
    why: str = ""
    pick: str | None = None  # what to adopt, e.g. "pandera" or "evidently scores → Prometheus"
    floor_line: str = ""  # what the pick costs over the roll-your-own floor, and buys
    layer: dict | None = None  # the stage's layers, ranked on their own question
    finding: str = ""  # one sentence in plain words with the key figure
    tool_errors: list[str] = field(default_factory=list)  # errors under load, tool's words
    headline: dict | None = None  # the one chart that matters
    rests_on: dict = field(default_factory=dict)  # {"lines": [...], "tables": [...]}
    openness: list[dict] = field(default_factory=list)  # dated licence/hosting facts per tool


def latest_entries(directories: list[Path]) -> tuple[list[Entry], list[dict], dict[str, dict]]:
    """The newest record for each (machine, stage, tool, rows), each file's environment,
    and each stage's newest declaration."""
    chosen: dict[tuple, Entry] = {}
    environments = []
    declared: dict[str, dict] = {}
    for path, results in load_all(directories):
        env = results.environment
        environments.append({"file": path.name, **env})
        declared |= results.stages
        for record in results.records:
            key = (env.get("machine"), record.section, record.tool, record.rows)
            chosen[key] = Entry(record, path.name, env.get("date", ""), env.get("machine", ""))
    return list(chosen.values()), environments, declared


def stage_view(stage: str, entries: list[Entry]) -> StageView:
    entries = sorted(
        entries,
        key=lambda e: (e.machine, e.record.rows, e.record.tool != "baseline", e.record.tool),
    )
    view = StageView(stage, labels.question(stage), labels.stage_name(stage),
                     sorted({e.record.rows for e in entries}))  # fmt: skip
    for rows in view.sizes:
        view.tables.append(comparison_table([e for e in entries if e.record.rows == rows], rows))
    done = [e.record for e in entries if e.record.status == "ok"]
    unit = labels.unit(stage)
    view.charts = charts.stage_charts(stage, done, unit)
    if "-" in stage:  # a team or Spark set-up: does throughput hold as the load grows?
        view.charts = charts.throughput_charts(stage, done, unit) + view.charts
    largest = {e.record.tool: e for e in entries}  # sorted by rows: the largest size wins
    view.setup = [
        {"tool": t, "name": labels.tool_name(stage, t), "steps": e.record.setup_steps}
        for t, e in largest.items()
        if e.record.setup_steps
    ]
    view.features = feature_matrix([e.record for e in entries], stage)
    view.details = [
        {"tool": e.record.tool, "name": labels.tool_name(stage, e.record.tool),
         "rows": e.record.rows, "user_code": e.record.user_code,
         **e.record.details, "size": labels.size(e.record.section, e.record.rows)}
        for e in entries
        if e.record.details or e.record.user_code
    ]  # fmt: skip
    view.facts = load_facts(stage)
    openness = maturity.load_openness()
    view.openness = [{"tool": tool, "name": labels.tool_name(stage, tool),
                      **openness[fact_key(stage, tool)]}
                     for tool in dict.fromkeys(e.record.tool for e in entries)
                     if fact_key(stage, tool) in openness]  # fmt: skip
    return view


def comparison_table(entries: list[Entry], rows: int) -> dict:
    """One size: tools as columns and measures as rows, so that the table fits the page
    however many operations a stage times. Cells are formatted text."""
    records = [e.record for e in entries]
    baseline = {e.machine: e.record for e in entries if e.record.tool == "baseline"}
    operations = list(dict.fromkeys(op for r in records for op in r.timings))
    values = list(dict.fromkeys(k for r in records for k in (*r.correctness, *r.measures)))
    lines = [{"label": f"{label(op)}, time", "cells": [
        formatting.timing(_timing(e.record, baseline.get(e.machine), op)) for e in entries]}
        for op in operations]  # fmt: skip
    lines += [{"label": label(k), "definition": definition(k), "cells": [
        formatting.number(_ok(r, r.correctness.get(k, r.measures.get(k)))) for r in records]}
        for k in values]  # fmt: skip
    lines.append({"label": "setup steps", "cells": [
        formatting.number(_ok(r, len(r.setup_steps))) for r in records]})  # fmt: skip
    for key in ("measured_rss_mb", "peak_rss_mb"):
        cells = [formatting.number(_ok(r, getattr(r, key))) for r in records]
        lines.append({"label": label(key), "definition": definition(key), "cells": cells})
    lines.append({"label": "measured on", "cells": [_measured(e) for e in entries]})
    return {
        "rows": rows,
        "size": labels.size(records[0].section, rows) if records else f"{rows:,} rows",
        "tools": [r.tool for r in records],  # as they ran: not_run and the deck key on them
        "names": [labels.tool_name(r.section, r.tool) for r in records],  # as people write them
        "status": [_status(r) for r in records],
        "lines": lines,
        "sources": sorted({f"{e.source} ({e.machine})" for e in entries}),
    }


def _measured(entry: Entry) -> str:
    """The day, and the day of answers carried over from an earlier run if they were."""
    answers = entry.record.answers
    if answers.get("carried") and answers.get("from", {}).get("measured_at"):
        return f"{entry.measured} (probe answers {answers['from']['measured_at'][:10]})"
    return entry.measured


def _ok(record: Record, value):
    return value if record.status == "ok" else None


def _status(record: Record) -> str:
    if record.status == "ok":
        return "ok"
    return f"{record.status.replace('_', ' ')}: {record.reason}"


def _timing(record: Record, base: Record | None, operation: str) -> dict | None:
    timing = record.timings.get(operation)
    if record.status != "ok" or not timing:
        return None
    comparable = base is not None and base.status == "ok" and operation != "setup"
    reference = base.timings.get(operation) if comparable else None
    why_not = record.not_equivalent.get(operation)
    same_job = not why_not and not (base and operation in base.not_equivalent)
    ratio = formatting.ratio(timing["median"], reference["median"] if reference else None)
    return {**timing, "ratio": ratio if same_job and record.tool != "baseline" else None,
            "not_equivalent": why_not}  # fmt: skip


def feature_matrix(records: list[Record], section: str) -> dict | None:
    """Each tool's probes from its largest size that ran them (``records`` sorted by size),
    and the sizes they ran at ("probed at 1,600 rows")."""
    chosen = {r.tool: r for r in records if r.features}
    names = list(dict.fromkeys(f for r in chosen.values() for f in r.features))
    if not names:
        return None
    sizes = sorted({r.rows for r in chosen.values()})
    return {
        "features": names,
        "tools": [
            {
                "tool": tool,
                "name": labels.tool_name(section, tool),
                "cells": [record.features.get(n) for n in names],
                "answered": _answered(record),
            }
            for tool, record in chosen.items()
        ],
        "probed_at": ", ".join(labels.size(section, rows) for rows in sizes),
    }


def _answered(record: Record) -> str:
    """Which version answered the probes and when: "pandera 0.20.4, 2026-12-03"."""
    source = record.answers.get("from", {})
    return ", ".join(p for p in (source.get("version"), source.get("measured_at", "")[:10]) if p)


def load_facts(stage: str) -> list[dict]:
    """Dated facts with sources from reports/facts/<stage>.toml (data, not code)."""
    path = HERE / "facts" / f"{stage}.toml"
    if not path.exists():
        return []
    return tomllib.loads(path.read_text(encoding="utf-8")).get("fact", [])


def one_machine(entries: list[Entry]) -> list[Entry]:
    """The entries from the machine of the newest entry: rankings never mix machines."""
    newest = max(entries, key=lambda e: e.date).machine
    return [e for e in entries if e.machine == newest]


def build_context(directories: list[Path], profile: str = scoring.DEFAULT_PROFILE) -> dict:
    weights = scoring.load_profile(profile)  # a bad profile fails before any work
    entries, environments, declared = latest_entries(directories)
    labels.declare(declared)
    install = {e.record.tool: e.record for e in entries if e.record.stage == INSTALL}
    by_section: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.record.stage != INSTALL:
            by_section.setdefault(entry.record.section, []).append(entry)
    order = labels.pipeline([s for s in by_section if "-" not in s])
    present = [s for s in order if s in by_section]
    setups = sorted((s for s in by_section if "-" in s), key=lambda s: _placed(s, order))
    records = {s: [e.record for e in one_machine(by_section[s])] for s in (*present, *setups)}
    # a stage run at one size takes its scale from the set-up that grows its load
    grown = {s.split("-", 1)[0]: records[s] for s in setups
             if len({r.rows for r in records[s]}) > 1}  # fmt: skip
    # capabilities answered by a set-up's trial, and the team set-up's lost work
    by_setup: dict[str, dict[str, list[Record]]] = {}
    for name in setups:
        stage, setup = name.split("-", 1)
        by_setup.setdefault(stage, {})[setup] = records[name]
    context = scoring.Context(install, maturity.load_openness(), maturity.load(), grown=grown,
                              setups=by_setup)  # fmt: skip
    # the stack is chosen from the stages' default set-ups; each other set-up is ranked
    # on its own (same profile weights) and shown as its own section after its stage
    chosen = summary.recommend({s: records[s] for s in present}, profile, context)
    chosen.rankings |= summary.recommend({s: records[s] for s in setups}, profile, context).rankings
    views = {}
    for name in (*present, *setups):
        view = stage_view(name, by_section[name])
        view.ranking = chosen.rankings[name]
        view.why = summary.why(view.ranking)
        view.pick = summary.pick(view.ranking)
        view.floor_line = floor.line(view.ranking, records[name])
        if view.ranking.layer is not None:
            view.layer = layer_view(view.ranking, records[name], context.maturity)
        view.rests_on = evidence.rests_on(view.ranking, records[name], context.maturity)
        view.finding = findings.finding(view.ranking, records[name])
        view.tool_errors = findings.tool_errors(records[name])
        view.headline = _headline(view, records[name])
        if view.ranking.totals:
            view.charts.append(
                {"title": f"{view.title}: criteria", "slug": f"{name}-criteria",
                 "png": summary.criteria_png(view.ranking)}
            )  # fmt: skip
        views[name] = view
    stages = [views[s] for s in present]
    # each set-up follows its stage; one whose stage has no default rows comes last
    sections = [v for s in present for v in (views[s], *(views[t] for t in setups
                if t.split("-", 1)[0] == s))]  # fmt: skip
    sections += [views[t] for t in setups if views[t] not in sections]
    stack = chosen.stack()
    pipeline = [{"stage": labels.stage_name(s), "box": labels.box(s), "pick": stack.get(s)}
                for s in order]  # fmt: skip
    return {
        "measured": measured_span(entries),
        "sections": sections,
        "thresholds": thresholds(),
        "profile": profile,
        "weights": weights,
        "criteria": scoring.CRITERIA,
        "stages": stages,
        "missing": [labels.stage_name(s) for s in order if s not in present],
        "environments": environments,
        "smoke": [env["file"] for env in environments if env.get("smoke")],
        "machines": sorted({e.machine for e in entries}),
        "pipeline": pipeline,
        "architecture": summary.architecture_png(pipeline),
        "profiles": summary.every_profile({s: records[s] for s in present}, context)
        if present
        else [],
        "install": [e for e in entries if e.record.stage == INSTALL],
        "not_run": not_run(sections),
        "time_split": timesplit.split([e.record for e in entries if e.record.stage != INSTALL]),
    }


def _placed(section: str, order: list[str]) -> tuple[int, str]:
    """Where a set-up's section goes: after its stage's place in the pipeline, by name."""
    stage = section.split("-", 1)[0]
    return (order.index(stage) if stage in order else len(order), section)


def measured_span(entries: list[Entry]) -> dict | None:
    """The oldest and newest day the figures shown were measured, and what is oldest."""
    shown = [e for e in entries if e.record.stage != "install" and e.record.status == "ok"]
    if not shown:
        return None
    oldest = min(shown, key=lambda e: (e.measured, e.record.section, e.record.tool))
    section = oldest.record.section
    what = f"{labels.stage_name(section)}: {labels.tool_name(section, oldest.record.tool)} at "
    what += labels.size(section, oldest.record.rows)
    return {"oldest": oldest.measured, "newest": max(e.measured for e in shown), "what": what}


def thresholds() -> dict[str, str]:
    """The scoring's stated thresholds, as the report's legend shows them."""
    from reports import criteria, verdict

    return {
        "min_margin": f"{verdict.MIN_MARGIN:.2f}",
        "false_alarm_ceiling": f"{criteria.FALSE_ALARM_CEILING:.0%}",
        "material_seconds": formatting.seconds(criteria.MATERIAL_SECONDS),
        "material_share": f"{criteria.MATERIAL_SHARE:.0%}",
        "material_scale": formatting.seconds(scoring.MATERIAL_DIFFERENCE["scale"]),
        "material_setup": f"{scoring.MATERIAL_DIFFERENCE['setup']:g}",
    }


def layer_view(ranking: scoring.Ranking, records: list[Record], facts: dict) -> dict:
    """The stage's second question, its layers: their ranking, verdict and floor line."""
    layer = ranking.layer
    shown = labels.tool_name(ranking.stage, layer.winner) if layer.winner else ""
    name = layer.roles.get(layer.winner, {}).get("layer") or shown if layer.winner else ""
    fed = [r for r in records if r.tool in {t for t, _, _ in layer.totals}]
    questions = [role["question"] for role in layer.roles.values() if role.get("question")]
    return {
        "question": questions[0] if questions else "Layers",
        "ranking": layer,
        "pick": f"{name} ({shown})" if name != shown else name,
        "why": summary.why(layer),
        "floor_line": floor.line(layer, fed),
        "rests_on": evidence.rests_on(layer, fed, facts),
    }


def _headline(view: StageView, records: list[Record]) -> dict | None:
    """The chart of the stage's main compared operation (moved out of the others)."""
    main = findings.headline_operation(view.ranking, records)
    chart = next((c for c in view.charts if main and c.get("operation") == main[1]), None)
    if chart is not None:
        view.charts.remove(chart)
    return chart


def not_run(stages: list[StageView]) -> list[str]:
    """What could not be run, and why, in one line per tool (layers included)."""
    lines = []
    for view in stages:
        rankings = [view.ranking, *([view.ranking.layer] if view.ranking.layer else [])]
        not_ranked = {tool for ranking in rankings for tool in ranking.not_ranked}
        reasons = {}
        for table in view.tables:
            for tool, status in zip(table["tools"], table["status"], strict=True):
                if status != "ok" and tool in not_ranked:
                    reasons.setdefault(tool, status)
        failed = {tool: why for ranking in rankings for tool, why in ranking.failed_at.items()}
        named = {tool: f"{view.title}: {labels.tool_name(view.name, tool)}"
                 for tool in (*reasons, *failed)}  # fmt: skip
        lines += [f"{named[tool]}: {why}" for tool, why in reasons.items() if tool not in failed]
        lines += [f"{named[tool]}: {why}" for tool, why in failed.items()]
    return lines


def _tool(tool: str, section: str) -> str:
    """``{{ tool|tool(stage.name) }}``: the tool as its stage declares it ("Great
    Expectations"); an install record's "<stage>.<tool>" as "<Stage>: <tool>"."""
    if section == INSTALL and "." in tool:
        stage, _, tool = tool.partition(".")
        return f"{labels.stage_name(stage)}: {labels.tool_name(stage, tool)}"
    return labels.tool_name(section, tool)


def render(
    directories: list[Path], out: Path, profile: str = scoring.DEFAULT_PROFILE, partial: str = ""
) -> list[Path]:
    """Write report.html (self-contained), report.md (+ charts/) and report.pptx into ``out``.
    ``partial`` ("3 of 8 stages") marks a report rendered while a run goes on: it has no
    deck (a stale one is removed), so no slide passes for the finished comparison."""
    import jinja2

    from reports import deck

    context = build_context(directories, profile)
    context["partial"] = partial
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(seconds=formatting.seconds, number=formatting.number, label=label,
                               tool=_tool, stage=labels.stage_name)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    every_chart = [c for stage in context["sections"] for c in stage.charts]
    every_chart += [stage.headline for stage in context["sections"] if stage.headline]
    every_chart.append({"slug": "architecture", "png": context["architecture"]})
    every_chart += [i for s in context["sections"] for d in s.details for i in d.get("images", [])]
    charts.write_pngs(every_chart, out / "charts")
    written = []
    for name in ("report.html", "report.md"):
        text = environment.get_template(f"{name}.j2").render(**context)
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    if partial:
        (out / "report.pptx").unlink(missing_ok=True)
        return written
    written.append(deck.write(context, out / "report.pptx"))
    return written
