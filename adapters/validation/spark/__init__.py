"""Validation on Spark: the same rules and defects, checked where data too big for pandas
lives (``bakeoff run --stage validation --engine spark``).

The workload is a Parquet file with a ``row_id`` column (the row's position in the file):
a Spark DataFrame has no row order of its own, so findings name rows by ``row_id``.
"""

ROW_ID = "row_id"

# the spark variant's tools -> "module:Class" (the pandas tools of the crossover are the
# stage's registered ones)
ADAPTERS = {
    "baseline+spark": "adapters.validation.spark.baseline:SparkBaseline",
    "great_expectations+spark": (
        "adapters.validation.spark.great_expectations:GreatExpectationsSparkValidator"
    ),
    "pandera+spark": "adapters.validation.spark.pandera:PanderaSparkValidator",
}


def load(tool: str) -> type:
    """The adapter class of a spark tool ('pandera+spark')."""
    import importlib

    module, _, name = ADAPTERS[tool].partition(":")
    return getattr(importlib.import_module(module), name)
