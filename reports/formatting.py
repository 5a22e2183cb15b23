"""Numbers people read: three significant figures, SI units, thousands separators; a
figure measured once without a spread; a ratio only where it means something."""

from __future__ import annotations

import math

# a baseline time below this is too small to divide by: the ratio would measure noise
MIN_RATIO_BASE_SECONDS = 1e-3


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, with thousands separators, no exponent."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if decimals <= 0:
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return significant(value)
    return str(value)


def seconds(value: float | None) -> str:
    """A duration in SI units: µs, ms, s, or min past two minutes."""
    if value is None:
        return "–"
    for scale, unit in ((1e-3, "µs"), (1.0, "ms")):
        if abs(value) < scale:
            return f"{significant(value * 1e3 / scale)} {unit}"
    if abs(value) >= 120:
        return f"{significant(value / 60)} min"
    return f"{significant(value)} s"


def timing(cell: dict | None) -> str:
    """Median and IQR (or ", once"), the first (warm-up) call, and the ratio to the
    baseline where it means something."""
    if not cell:
        return "–"
    text = seconds(cell["median"])
    rounds = cell.get("rounds", 1)
    text += ", once" if rounds <= 1 else f" ± {seconds(cell['iqr'])} (n={rounds})"
    if cell.get("first_call") is not None:  # the warm-up call, timed apart from the rounds
        text += f"; first call {seconds(cell['first_call'])}"
    if cell.get("ratio") is not None:
        text += f" ({significant(cell['ratio'])}×)"
    if cell.get("not_equivalent"):
        text += f"; not equivalent: {cell['not_equivalent']}"
    return text


def ratio(median: float, base: float | None) -> float | None:
    """median / base, or None where the base is missing or too small to compare."""
    if base is None or base < MIN_RATIO_BASE_SECONDS:
        return None
    return median / base
