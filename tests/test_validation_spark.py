"""Validation on Spark: each Spark validator catches the injected defects on a small
Parquet file, with one SparkSession for the file, stopped with its JVM at the end."""

import psutil
import pytest

from adapters import setups
from adapters.validation.spark import load

pytestmark = pytest.mark.validation
pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    from adapters.validation.spark import workload
    from scenarios import wish

    return workload.write([wish.generate(5000, seed=11)], tmp_path_factory.mktemp("parquet"))


@pytest.fixture(scope="module")
def spark():
    from adapters.validation.spark import session

    spark = session.start()
    yield spark
    session.stop(spark)


SPARK_TOOLS = sorted(t for t in setups.lookup("validation", "spark").tools if t.endswith("+spark"))


@pytest.fixture(params=SPARK_TOOLS)
def validator(request, spark):
    adapter = load(request.param)
    reason = adapter.unsupported_reason()
    if reason:
        pytest.skip(f"not run: {reason}")
    with adapter(spark) as opened:
        yield opened


def test_catches_every_injected_defect(validator, work):
    findings = validator.validate(validator.read(work.defective))
    truth = work.truth()
    assert {f.rule for f in findings} == {kind for kind, _ in truth}
    if validator.returns_rows:
        assert {(f.rule, row) for f in findings for row in f.rows} == set(truth)
    else:  # which rules failed, without rows (Pandera's PySpark backend)
        assert all(f.rows == () for f in findings)


def test_gx_names_the_pyspark_it_declares():
    """GX's Spark validator refuses a PySpark outside GX's own declared range, saying both."""
    from importlib.metadata import version

    from packaging.specifiers import SpecifierSet

    from adapters.validation.spark.great_expectations import _declared_pyspark

    declared, installed = _declared_pyspark()
    reason = load("great_expectations+spark").unsupported_reason()
    assert declared and installed == version("pyspark")
    assert (reason is None) == SpecifierSet(declared).contains(installed, prereleases=True)
    if reason:
        assert declared in reason and installed in reason


def test_stop_leaves_no_jvm(spark):
    from adapters.validation.spark import session

    jvm = session.jvm_process()
    assert jvm is not None and psutil.pid_exists(jvm.pid)
    session.stop(spark)
    assert jvm.poll() is not None
    assert not [c for c in psutil.Process().children(recursive=True) if "java" in c.name()]


def test_copies_of_a_frame_repeat_no_row_but_the_injected_duplicates(tmp_path):
    """Above a million rows the Spark workload is copies of the million-row frame: no row
    of one copy may equal a row of another under the duplicate rule (all columns), or the
    validators would rightly flag rows nobody injected."""
    from adapters.validation.rules import RULES
    from adapters.validation.spark import workload
    from benchmarks.spark_workload import _renumbered
    from scenarios import wish

    frame = wish.generate(3000, seed=3)
    made = workload.write([_renumbered(frame, number) for number in range(6)], tmp_path)
    table = workload.read_pandas(made.defective)
    (rule,) = [rule for rule in RULES if rule.check == "unique_rows"]
    repeated = set(table.index[table.duplicated(subset=list(rule.parts), keep="first")])
    assert repeated == {row for kind, row in made.truth() if kind == "duplicate_row"}
    assert table["product_id"].dropna().str.fullmatch(r"[0-9a-f]{24}").mean() > 0.98


@pytest.mark.parametrize(
    ("code", "says"), [(52, "ran out of heap"), (9, "exited with code 9"), (None, None)]
)
def test_a_call_that_lost_the_jvm_names_the_jvm(monkeypatch, code, says):
    """GX reports a JVM that died under it as '[Errno 111] Connection refused'; the error
    the user reads says the JVM died, and why when Spark's exit code tells (52: heap)."""
    import subprocess

    from adapters.base import AdapterError
    from adapters.validation.spark import session
    from adapters.validation.spark.baseline import SparkBaseline

    script = "sleep 30" if code is None else f"exit {code}"
    process = subprocess.Popen(["sh", "-c", script])
    monkeypatch.setattr(session, "jvm_process", lambda: process)

    class Lost(SparkBaseline):
        def validate(self, frame):
            raise ConnectionRefusedError(111, "Connection refused")

    try:
        with pytest.raises(AdapterError) as raised:
            Lost(spark=None).validate(None)
    finally:
        process.kill()
        process.wait()
    message = str(raised.value)
    assert "Connection refused" in message
    assert (says in message) if says else "JVM" not in message
