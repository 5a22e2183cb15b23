"""Command-line options shared by the benchmark files (``pytest benchmarks -m <stage>``)."""


def pytest_addoption(parser):
    group = parser.getgroup("bakeoff")
    group.addoption("--rows", default="", help="row counts to run, comma separated")
    group.addoption("--data", default="", help="a Wish-schema CSV to use instead of synthetic data")
    group.addoption("--tools", default="", help="tools to run, comma separated (default: all)")
    group.addoption("--repeats", type=int, default=0, help="timed rounds per operation")
    group.addoption(
        "--setup",
        default="",
        help="a stage's other set-up: 'team' (PostgreSQL/Redis servers, concurrent clients) "
        "or 'spark' (validation on Spark); default: the stage's single-user set-up",
    )
    group.addoption("--bakeoff-out", default="", help="where to write the trial's records (JSON)")
    group.addoption(
        "--probe-rows",
        type=int,
        default=0,
        help="run the feature probes only at this size (bakeoff run passes its smallest); "
        "default: at every size",
    )
    group.addoption(
        "--answers-known",
        action="store_true",
        help="skip the tests that answer about the tool version (feature probes, detection "
        "quality): bakeoff run carries its stored answers for this version over",
    )
    group.addoption(
        "--smoke",
        action="store_true",
        help="a smoke run (bakeoff run --quick): one cold round per operation (no warm-up), "
        "the checks, no feature probes and none of the extra measures",
    )


def pytest_configure(config):
    """One marker per stage, as the stage declares itself (``STAGE`` in
    ``adapters/<stage>/__init__.py``): ``pytest -m <stage>`` selects its tests and benchmark;
    no list of stages is kept here or in pyproject.toml."""
    from adapters import registry

    for name, stage in registry.declarations().items():
        tools = ", ".join(registry.tools(name))
        config.addinivalue_line("markers", f"{name}: the {stage.name} stage ({tools})")
