"""Per-column two-sample tests with scipy: what a team writes by hand.

Numbers: Kolmogorov-Smirnov on the non-missing values. Categories: chi-square test of
independence on the reference and current counts, with "missing" as a category of its
own, so a rise in missing values or a new category counts as drift.
"""

from __future__ import annotations

import pandas as pd

from adapters.monitoring.base import P_VALUE_LEVEL, ColumnVerdict


def ks_verdict(column: str, reference: pd.Series, current: pd.Series) -> ColumnVerdict:
    from scipy.stats import ks_2samp

    p_value = float(ks_2samp(reference.dropna(), current.dropna()).pvalue)
    return ColumnVerdict(column, p_value < P_VALUE_LEVEL, p_value, "ks p-value")


def chi_square_verdict(column: str, reference: pd.Series, current: pd.Series) -> ColumnVerdict:
    from scipy.stats import chi2_contingency

    counts = pd.concat(
        [_counts(reference), _counts(current)], axis=1, keys=["reference", "current"]
    ).fillna(0)
    if len(counts) < 2:  # one value in both: nothing can have moved
        return ColumnVerdict(column, False, 1.0, "chi-square p-value")
    p_value = float(chi2_contingency(counts.to_numpy()).pvalue)
    return ColumnVerdict(column, p_value < P_VALUE_LEVEL, p_value, "chi-square p-value")


def _counts(values: pd.Series) -> pd.Series:
    counts = values.value_counts(dropna=False)
    counts.index = ["(missing)" if pd.isna(key) else str(key) for key in counts.index]
    return counts


def scipy_verdicts(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
) -> list[ColumnVerdict]:
    numbers = [ks_verdict(c, reference[c], current[c]) for c in numeric]
    return numbers + [chi_square_verdict(c, reference[c], current[c]) for c in categorical]
