"""Validation stage: data quality checks on the Wish frame."""

from adapters.registry import REGISTERED, Setup, Stage, Tool

_HINT = "the validation extra: pip install -e '.[validation]'"

STAGE = Stage(
    name="Validation",
    question="Validation: does the tool catch bad data, and at what cost?",
    place=4,
    box="data checks",
    sizes=(1_600, 100_000, 1_000_000),
    quick=(2_000,),
    setups={
        "spark": Setup(
            "Validation on Spark: what do the same rules cost where data too big for pandas lives?",
            # the same rules on Spark; the pandas tools read the same Parquet at 1M rows
            # (the crossover)
            unit="rows on Spark",
            tools={
                "baseline+spark": "adapters.validation.spark.baseline:SparkBaseline",
                "pandera+spark": "adapters.validation.spark.pandera:PanderaSparkValidator",
                "great_expectations+spark": (
                    "adapters.validation.spark.great_expectations:GreatExpectationsSparkValidator"
                ),
                "baseline+pandas": REGISTERED,
                "pandera+pandas": REGISTERED,
            },
            sizes=(1_000_000, 10_000_000),
            quick=(100_000,),
            programs=("java",),
        )
    },
    tool_names={"great_expectations": "Great Expectations", "pandera": "Pandera"},
)

TOOLS = {
    "baseline": Tool("adapters.validation.baseline:PandasValidator", ("pandas",)),
    "great_expectations": Tool(
        "adapters.validation.great_expectations:GreatExpectationsValidator",
        ("great_expectations",),
        hint=_HINT,
    ),
    "pandera": Tool("adapters.validation.pandera:PanderaValidator", ("pandera",), hint=_HINT),
}

# The stage's decision: which rows compete for the pick (every tool not named here), which
# is the roll-your-own floor they are held against, and which are layers (what runs on top
# of or inside the pick). CAPABILITIES: what a team needs from the stage, each answered
# for every tool, the floor included, by the feature probe named (its key in the record's
# features) or by a set-up's trial ("team set-up": kept all its work under the load).
ROLES = {"baseline": {"kind": "floor"}}
CAPABILITIES = {
    "a report a person reads": "HTML report for people",
    "rules inferred from the data": "infers rules from data",
    "runs on Spark, where big data lives": "spark set-up",
}
