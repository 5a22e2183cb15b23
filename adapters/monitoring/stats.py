"""Per-column two-sample tests with scipy: what a team writes by hand.

Numbers: Kolmogorov-Smirnov on the non-missing values. Categories: chi-square test of
independence on the reference and current counts, with "missing" as a category of its
own, so a rise in missing values or a new category counts as drift. ``p_values`` is the
statistics code alone (the Prometheus tool pushes its results and leaves the threshold to
Prometheus); ``scipy_verdicts`` adds the baseline's threshold in Python.
"""

from __future__ import annotations

import pandas as pd

from adapters.monitoring.base import P_VALUE_LEVEL, ColumnVerdict


def ks_p_value(reference: pd.Series, current: pd.Series) -> float:
    from scipy.stats import ks_2samp

    return float(ks_2samp(reference.dropna(), current.dropna()).pvalue)


def chi_square_p_value(reference: pd.Series, current: pd.Series) -> float:
    from scipy.stats import chi2_contingency

    counts = pd.concat(
        [_counts(reference), _counts(current)], axis=1, keys=["reference", "current"]
    ).fillna(0)
    if len(counts) < 2:  # one value in both: nothing can have moved
        return 1.0
    return float(chi2_contingency(counts.to_numpy()).pvalue)


def _counts(values: pd.Series) -> pd.Series:
    counts = values.value_counts(dropna=False)
    counts.index = ["(missing)" if pd.isna(key) else str(key) for key in counts.index]
    return counts


def p_values(reference, current, numeric, categorical) -> list[tuple[str, float, str]]:
    # (column, p-value, test) for every monitored column
    numbers = [(c, ks_p_value(reference[c], current[c]), "ks p-value") for c in numeric]
    return numbers + [
        (c, chi_square_p_value(reference[c], current[c]), "chi-square p-value") for c in categorical
    ]


def scipy_verdicts(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
) -> list[ColumnVerdict]:
    found = p_values(reference, current, numeric, categorical)
    return [ColumnVerdict(c, p < P_VALUE_LEVEL, p, test) for c, p, test in found]


STATISTICS_CODE = (ks_p_value, chi_square_p_value, _counts, p_values)  # what a user writes
