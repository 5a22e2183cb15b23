"""Validation on Spark: the same rules and defects, checked where data too big for pandas
lives (``bakeoff run --stage validation --engine spark``).

The workload is a Parquet file with a ``row_id`` column (the row's position in the file):
a Spark DataFrame has no row order of its own, so findings name rows by ``row_id``.
"""

from adapters import setups

ROW_ID = "row_id"


def load(tool: str) -> type:
    """The adapter class of a spark set-up's tool ('pandera+spark'; listed in
    adapters/setups.py; the pandas tools of the crossover are the stage's registered ones)."""
    return setups.load("validation", "spark", tool)
