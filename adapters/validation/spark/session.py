"""The embedded Spark a trial runs on: started once, stopped with its JVM.

``local[2]`` on 127.0.0.1 with the UI off, unless ``BAKEOFF_SPARK_MASTER`` (``bakeoff run
--spark-master``) names an existing cluster. The driver gets :data:`DRIVER_MEMORY` of heap
instead of Spark's default 1g (``BAKEOFF_SPARK_DRIVER_MEMORY`` to change it): with 1g,
Great Expectations' Spark engine ran out of heap caching the 10M-row file (Spark's JVM
exits with code 52 then), and every Spark tool gets the same setting.

PySpark starts its JVM as a child process (``spark-submit``); :func:`stop` ends the
SparkContext *and* that JVM, which PySpark otherwise keeps for the life of the Python process.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

from adapters.base import NotRunnable

JAVA_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
HINT = "install the spark extra (pip install -e '.[spark]') and Java 17 (openjdk-17-jre-headless)"


DRIVER_MEMORY = "6g"
DEFAULT_DRIVER_MEMORY = "1g"
OOM_EXIT_CODE = 52  # SparkExitCode.OOM: the JVM ran out of heap


def master() -> str:
    return os.environ.get("BAKEOFF_SPARK_MASTER") or "local[2]"


def driver_memory() -> str:
    return os.environ.get("BAKEOFF_SPARK_DRIVER_MEMORY") or DRIVER_MEMORY


def non_default_settings() -> list[str]:
    """What the session asks of Spark beyond its defaults, as the report lists it."""
    memory = driver_memory()
    if memory == DEFAULT_DRIVER_MEMORY:
        return []
    return [
        f"spark.driver.memory={memory} for every Spark tool (default: "
        f"{DEFAULT_DRIVER_MEMORY}, with which Great Expectations ran out of heap at 10M rows)"
    ]


def start():
    """A new SparkSession on :func:`master`; NotRunnable when PySpark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise NotRunnable(f"{HINT}: pyspark not found")
    if not os.environ.get("JAVA_HOME"):
        if not JAVA_17.exists():
            raise NotRunnable(f"{HINT}: no JAVA_HOME and no {JAVA_17}")
        os.environ["JAVA_HOME"] = str(JAVA_17)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master())
        .appName("bakeoff-validation")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", driver_memory())
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def jvm_process():
    """The ``Popen`` of the JVM PySpark launched in this process, or None."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    return getattr(gateway, "proc", None) if gateway else None


def jvm_exit() -> str | None:
    """Why the JVM behind the session is gone (None while it runs, after up to 3 s: call
    it when a call failed): a tool that loses it mid-call often reports only a refused
    connection."""
    process = jvm_process()
    if process is None:
        return None
    try:  # a JVM that lost its heap may still be shutting down when the tool reports
        code = process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        return None
    if code == OOM_EXIT_CODE:
        return (
            f"Spark's JVM ran out of heap (java.lang.OutOfMemoryError, exit code {code}); "
            f"give the driver more than {driver_memory()} with BAKEOFF_SPARK_DRIVER_MEMORY"
        )
    return f"Spark's JVM exited with code {code} (its log is on this run's standard error)"


def stop(spark) -> None:
    """Stop ``spark`` and the JVM behind it (it exits when its stdin closes); safe twice."""
    from pyspark import SparkContext

    if SparkContext._gateway is None:
        return
    spark.stop()
    process, gateway = jvm_process(), SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
    if process is not None:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    SparkContext._gateway = SparkContext._jvm = None
