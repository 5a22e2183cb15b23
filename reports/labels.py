"""Human labels, with units, for every measure the report shows: one place, used by the
HTML, the Markdown and the deck alike. A key without an entry is shown with its
underscores turned into spaces, never as a raw field name."""

from __future__ import annotations

# key -> (label with unit, definition)
MEASURES: dict[str, tuple[str, str]] = {
    "recall": ("recall", "share of the injected defects or drifts the tool flagged"),
    "precision": ("precision", "share of the tool's flags that were real defects or drifts"),
    "combined_recall": ("recall, all seeds", "share of drifted columns flagged over all seeds"),
    "combined_precision": ("precision, all seeds", "share of flags that were real, all seeds"),
    "false_alarm_rate": ("false alarms, share of unchanged columns", "unchanged columns flagged"),
    "false_alarm_batches": (
        "false alarms, share of unchanged batches",
        "unchanged batches in which the tool raised any alarm (seeds and sizes pooled)",
    ),
    "unchanged_batches": ("unchanged batches checked, count", "batches with no drift checked"),
    "unchanged_batches_alarmed": (
        "unchanged batches with a false alarm, count",
        "batches with no drift in which the tool raised any alarm",
    ),
    "unchanged_false_alarms": ("false alarms on unchanged batches, count", "alarms on no drift"),
    "artifact_kb": ("report size, kB", "size of the artefact the tool writes per check"),
    "defects_injected": ("defects injected, count", "labelled defects put into the frame"),
    "findings": ("findings, count", "flags the tool raised"),
    "clean_frame_findings": ("findings on clean data, count", "flags on a frame with no defect"),
    "peak_rss_mb": (
        "peak memory, MB",
        "RSS of the trial's process tree, servers included "
        "(not bakeoff's forked workers for untimed answers)",
    ),
    "measured_rss_mb": ("memory while measured, MB", "RSS while measured operations ran"),
    "setup_steps": ("setup steps", "setup commands executed, as a user would run them"),
    "setup": ("setup", "time to set the tool up (contexts, servers, configs)"),
    "install_mb": ("installed MB", "Python packages in a fresh venv plus Debian packages"),
    "import_seconds": ("import, s", "time to import the tool's main module"),
    "memory_mb": ("memory while measured, MB", "RSS while measured operations ran"),
    "packages": ("packages, count", "distributions (and Debian packages) installed"),
}


UNIT_SUFFIXES = (("_rss_mb", ", memory, MB"), ("_mb", ", MB"), ("_kb", ", kB"),
                 ("_seconds", ", s"), ("_s", ", s"), ("_count", ", count"))  # fmt: skip


def label(key: str) -> str:
    """The human label of a measure, operation or criterion key: its entry above, else the
    key in words with its unit spelled out (``probe_ui_server_rss_mb`` -> "probe ui server,
    memory, MB")."""
    if key in MEASURES:
        return MEASURES[key][0]
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key.removesuffix(suffix).replace("_", " ") + unit
    return key.replace("_", " ")


def definition(key: str) -> str:
    return MEASURES[key][1] if key in MEASURES else ""


# what each stage says about itself (its name, question, unit, place in the pipeline,
# set-ups and tool names), from the "stages" of the results files being rendered:
# render.build_context sets it with declare(). A stage without a declaration (results
# written before stages declared themselves) is shown by its own name, in rows.
DECLARED: dict[str, dict] = {}


def declare(stages: dict[str, dict]) -> None:
    """Use these declarations (stage -> its STAGE as JSON) for every label from now on."""
    DECLARED.clear()
    DECLARED.update(stages)


def _declared(section: str) -> tuple[dict, dict | None]:
    """The stage's declaration, and its set-up's when the section is a set-up's."""
    stage, _, setup = section.partition("-")
    declared = DECLARED.get(stage, {})
    return declared, declared.get("setups", {}).get(setup) if setup else None


def stage_name(section: str) -> str:
    """The stage as people write it ("CI/CD"); a set-up's section says which set-up."""
    stage, _, setup = section.partition("-")
    name = DECLARED.get(stage, {}).get("name") or stage.replace("_", " ").capitalize()
    return f"{name}, {setup} set-up" if setup else name


def question(section: str) -> str:
    """The section's question, as its stage declares it; its name when it declares none."""
    declared, setup = _declared(section)
    asked = setup.get("question") if setup is not None else declared.get("question")
    return asked or stage_name(section)


def unit(section: str) -> str:
    """What the section's sizes count: "rows", or its own ("concurrent clients")."""
    declared, setup = _declared(section)
    return (setup if setup is not None else declared).get("unit") or "rows"


def tool_name(section: str, tool: str) -> str:
    """The tool as people write it ("Great Expectations"); the name it ran under, if the
    stage gives none."""
    return _declared(section)[0].get("tool_names", {}).get(tool, tool)


def pipeline(present: list[str]) -> list[str]:
    """The stages in pipeline order, data flowing left to right: the declared ones by
    their place, then stages in ``present`` that declare none, by name."""
    declared = sorted(DECLARED, key=lambda stage: (DECLARED[stage].get("place", 0), stage))
    return declared + sorted(set(present) - set(DECLARED))


def box(stage: str) -> str:
    """What the stage's box in the pipeline diagram does ("drift alerts")."""
    return DECLARED.get(stage, {}).get("box", "")


def size(section: str, rows: int) -> str:
    """'1,000,000 rows', or the section's own unit ('9,199 lines of source'); one of them
    in the singular ('1 concurrent client')."""
    return counted(rows, unit(section))


def counted(number: int, unit: str) -> str:
    """'4 concurrent clients', '1 concurrent client', '1 row'."""
    if number == 1:
        words = unit.split(" ")
        plural = words[0] if words[0].endswith("s") else words[1]
        unit = unit.replace(plural, plural[:-1], 1)
    return f"{number:,} {unit}"
