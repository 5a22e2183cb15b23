"""Feature probes and the answers about a tool version: one probe rule (yes, no or "not
supported: <the tool's words>"; any other exception is a bakeoff bug), where probes run,
and what a test adds to its record while it answers (kept apart in ``Record.answers``).

This module's source is part of the answers' key (benchmarks/keys.py): a change to the
probe rule asks the probes again, while a change to the timing harness does not. With
``--answers-known`` the runner has stored answers for this tool version and carries them
over: the tests that answer are skipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from adapters.base import AdapterError, NotSupported

if TYPE_CHECKING:
    from benchmarks.options import Options
    from reports.results import Record


class Absent(Exception):
    """Raised by a probe's exercise: the feature was exercised and did not do its job; the
    message is what was seen instead."""


def probe(exercise: Callable[[], object]) -> dict:
    """Exercise one feature and answer yes, no or not supported, with the evidence.

    yes: ``exercise`` returned (its result, as text, is the evidence); no: it raised
    :class:`Absent`, or the tool failed while doing it (``AdapterError``); not supported:
    the tool says so (``NotSupported``, in its own words). Any other exception is a bug
    in bakeoff, not a missing feature: it propagates and fails the trial.
    """
    try:
        evidence, answer = str(exercise()), "yes"
    except Absent as seen:
        evidence, answer = str(seen), "no"
    except AdapterError as error:
        evidence, answer = f"failed: {error}", "no"
    except NotSupported as error:
        evidence, answer = str(error), "not supported"
    return {"ok": answer == "yes", "answer": answer, "evidence": evidence[:300]}


def probes_here(opts: Options, rows: int) -> bool:
    """Whether this size runs the feature probes. ``bakeoff run`` passes its smallest size
    (``--probe-rows``): a feature works or not whatever the size, the report shows each
    tool's probes from the size that ran them, and at a million rows one tool's probes
    (an HTML report, inferred rules, a dashboard server) cost minutes of the run. Not when
    the runner carries this tool version's stored answers over (``--answers-known``)."""
    return not opts.smoke and not opts.answers_known and opts.probe_rows in (0, rows)


def skip_unless_probing(opts: Options, rows: int) -> None:
    """Skip a test made only of feature probes at a size that does not run them; where it
    runs, what it adds to the record are answers (see :func:`answering`)."""
    answering(opts, "feature probes")
    if not probes_here(opts, rows):
        pytest.skip(f"feature probes run once per tool, at {opts.probe_rows:,} rows")


ANSWERING = {"on": False}  # the running test's additions to its record are answers


CARRIED = "answered for this tool version by an earlier run, whose answers are carried over"


def answering(opts: Options, what: str) -> None:
    """Declare the running test an answer about the tool version (``what``: "feature
    probes", "detection quality"): skipped in a smoke run and where the runner carries
    stored answers over; otherwise what it adds to its record is kept as answers."""
    skip_in_smoke(opts, what)
    if opts.answers_known:
        pytest.skip(f"{what}: {CARRIED}")
    ANSWERING["on"] = True


ANSWER_PARTS = ("features", "correctness", "measures", "details")


@contextlib.contextmanager
def answers(record: Record | None, declared: bool = True) -> Iterator[None]:
    """Keep what the body adds to ``record`` as answers (``record.answers["parts"]``);
    with ``declared`` False only if the body called :func:`answering` (the conftest wraps
    every test body so)."""
    import copy

    ANSWERING["on"] = declared
    before = copy.deepcopy({part: getattr(record, part) for part in ANSWER_PARTS}) if record else {}
    try:
        yield
    finally:
        if record is not None and ANSWERING["on"]:
            _keep_answers(record, before)
        ANSWERING["on"] = False


def _keep_answers(record: Record, before: dict) -> None:
    """Add to ``record.answers["parts"]`` what changed since ``before``: values set, and
    items appended to lists (a table added to ``details["tables"]``)."""
    parts = record.answers.setdefault("parts", {"set": {}, "append": {}})
    for part in ANSWER_PARTS:
        old, new = before[part], getattr(record, part)
        for name, value in new.items():
            was = old.get(name)
            if isinstance(value, list) and isinstance(was, list) and value[: len(was)] == was:
                if len(value) > len(was):
                    parts["append"].setdefault(part, {}).setdefault(name, []).extend(
                        value[len(was) :]
                    )
            elif name not in old or was != value:
                parts["set"].setdefault(part, {})[name] = value


def skip_in_smoke(opts: Options, what: str) -> None:
    """Skip work a smoke run leaves out (``what``: e.g. "feature probes"), saying so."""
    if opts.smoke:
        pytest.skip(f"{what}: not in a smoke run (bakeoff run --quick)")


def record_probe(record: Record, feature: str, exercise: Callable[[], object]) -> None:
    """:func:`probe` one feature into ``record.features``."""
    record.features[feature] = probe(exercise)
