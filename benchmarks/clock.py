"""How long a run will take: estimates of each trial from earlier runs on this machine,
the progress line's "about N left", and ``--budget``'s choice of what fits.

Each finished trial's wall time is kept in ``~/.cache/bakeoff/trial-seconds.json`` (the
folder ``$BAKEOFF_HISTORY`` names instead, if set: the test suite's runs keep theirs
apart) under ``section:tool:rows`` (a section: ``tracking``, or a set-up's
``tracking-team``). A trial never run before is estimated from the same tool at a
smaller size in this run or an earlier one, scaled by rows (pessimistic: linear, and only
up to ten times the rows).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

HISTORY = Path(
    os.environ.get("BAKEOFF_HISTORY")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bakeoff"
)


class BudgetError(ValueError):
    """A --budget that is not a duration; the message says what to write."""


def parse_budget(text: str) -> float:
    """'20m', '90s', '1h30m' or plain seconds -> seconds."""
    number = r"(\d+(?:\.\d+)?)"
    match = re.fullmatch(rf"\s*(?:{number}h)?\s*(?:{number}m)?\s*(?:{number}s?)?\s*", text or "")
    if not match or not any(match.groups()):
        raise BudgetError(f"--budget {text!r} is not a duration; write e.g. 20m, 90s or 1h30m.")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise BudgetError("--budget must be more than zero; write e.g. 20m.")
    return total


def duration(seconds: float) -> str:
    """'45 s', '3 min 20 s', '1 h 5 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


MAX_PROPORTIONAL = 10  # farther than 10x the rows, with no growth known: "never timed"


class Clock:
    """Elapsed time, per-trial estimates and the budget of one ``bakeoff run``."""

    def __init__(self, budget: float | None = None, folder: Path = HISTORY):
        self.budget, self.path = budget, folder / "trial-seconds.json"
        self.started = time.monotonic()
        try:
            self.history: dict[str, float] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.history = {}

    @staticmethod
    def key(section: str, tool: str, rows: int) -> str:
        return f"{section}:{tool}:{rows}"

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _sizes(self, section: str, tool: str) -> dict[int, float]:
        prefix = f"{section}:{tool}:"
        return {int(k[len(prefix) :]): v for k, v in self.history.items() if k.startswith(prefix)}

    def estimate(self, section: str, tool: str, rows: int) -> float | None:
        """Seconds this trial took last time; else extrapolated from the same tool's smaller
        sizes: along the line through its two largest (a trial's fixed cost does not grow
        with rows), or with one size, by how much the section's other tools (else any
        trials) grew between the two sizes, or in proportion to rows (pessimistic) up to
        ``MAX_PROPORTIONAL`` times the rows; None when nothing is known."""
        sizes = self._sizes(section, tool)
        if rows in sizes:
            return sizes[rows]
        smaller = sorted((r, s) for r, s in sizes.items() if r < rows)
        if len(smaller) >= 2:
            (r1, s1), (r2, s2) = smaller[-2:]
            return s2 + max((s2 - s1) / (r2 - r1), 0.0) * (rows - r2)
        if not smaller:
            return None
        known_rows, seconds = smaller[-1]
        growth = self._growth(known_rows, rows, section, tool) or self._growth(known_rows, rows)
        if growth:
            return seconds * statistics.median(growth)
        # in proportion to rows only nearby: 1,600 rows scaled to a million said "165 h left"
        return seconds * rows / known_rows if rows <= MAX_PROPORTIONAL * known_rows else None

    def _growth(self, small: int, large: int, section: str = "", tool: str = "") -> list[float]:
        """How much other trials (of ``section``'s other tools, or any) grew from ``small``
        to ``large`` rows."""
        trials = {tuple(k.rsplit(":", 1)[0].split(":", 1)) for k in self.history}
        chosen = [(s, t) for s, t in trials if (not section or s == section) and t != tool]
        grown = [self._sizes(s, t) for s, t in chosen]
        return [s[large] / s[small] for s in grown if s.get(small) and large in s]

    def remaining(self, trials: list[tuple[str, str, int]]) -> str:
        """'about 12 min 30 s left' for the trials still to run (plus how many are unknown)."""
        estimates = [self.estimate(*trial) for trial in trials]
        known = sum(e for e in estimates if e is not None)
        unknown = sum(e is None for e in estimates)
        text = f"about {duration(known)} left" if known or not unknown else ""
        if unknown:
            text += f"{' + ' if text else ''}{unknown} trial{'s' * (unknown > 1)} never timed"
        return text

    def fits(self, section: str, tool: str, rows: int) -> str | None:
        """None when the trial fits the budget; otherwise why it is left out."""
        if self.budget is None:
            return None
        left = self.budget - self.elapsed()
        estimate = self.estimate(section, tool, rows)
        if left <= 0:
            return f"left out to fit --budget {duration(self.budget)}: the budget was spent"
        if estimate is not None and estimate > left:
            return (f"left out to fit --budget {duration(self.budget)}: it took about "
                    f"{duration(estimate)} before, {duration(left)} was left")  # fmt: skip
        return None

    def finished(self, section: str, tool: str, rows: int, seconds: float) -> None:
        """Remember a trial's wall time for the next run's estimates."""
        self.history[self.key(section, tool, rows)] = round(seconds, 2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scratch = self.path.with_suffix(".tmp")
            scratch.write_text(json.dumps(self.history, indent=0, sort_keys=True), "utf-8")
            scratch.replace(self.path)
        except OSError:
            pass  # estimates are a convenience; a read-only home must not stop the run
