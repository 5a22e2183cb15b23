"""What the Spark validators share: a SparkSession, and the contract on a Spark frame.

Contracts (as in :mod:`adapters.validation.base`, on a Spark DataFrame):

- ``validate(frame)``: ``frame`` is a Spark DataFrame read from Parquet with a ``row_id``
  column; every rule was checked against every row, and each Finding names the rule.
  Its ``rows`` are the ``row_id`` of *every* row that breaks it, or are empty when the
  tool only says *that* a rule failed (:attr:`SparkValidator.returns_rows` is False,
  e.g. Pandera's PySpark backend); the benchmark then scores rules, not rows.
"""

from __future__ import annotations

from typing import ClassVar

from adapters.validation.base import Validator
from adapters.validation.rules import RULES, Rule


class SparkValidator(Validator):
    """A validator whose frames are Spark DataFrames of one SparkSession."""

    # whether ``validate`` names the failing rows (False: which rules failed, only)
    returns_rows: ClassVar[bool] = True

    def __init__(self, spark, rules: tuple[Rule, ...] = RULES, workdir=None):
        super().__init__(rules, workdir)
        self.spark = spark

    @classmethod
    def unsupported_reason(cls) -> str | None:
        """Why this tool cannot run on the installed PySpark (None: it can)."""
        return None

    def explained(self, error: Exception) -> Exception:
        """When Spark's JVM died under the call, that is the cause (the tool itself often
        reports only '[Errno 111] Connection refused' from the lost gateway)."""
        from adapters.validation.spark import session

        death = session.jvm_exit()
        return RuntimeError(f"{death}; the tool said: {error}") if death else error

    def read(self, path):
        """The Parquet file at ``path`` as a (lazy) Spark DataFrame."""
        return self.spark.read.parquet(str(path))
