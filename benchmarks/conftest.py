"""Fixtures every stage's benchmark file gets: its options and its recorder.

A benchmark module names its ``STAGE`` and its ``REPEATS``; its tests then receive ``tool``
and ``rows`` parameters from the registry and options, ``rows`` by default the sizes the
stage declares (``STAGE.sizes`` in ``adapters/<stage>/__init__.py``). A stage may also
have other set-ups (adapters/setups.py: ``team``, ``spark``), each with its tools, sizes
and unit. Tests marked ``@pytest.mark.setup("team")`` run only with ``--setup=team``, and
unmarked tests only without ``--setup``.
"""

import os

import pytest

from benchmarks import harness, ledger, options, probes


def _options(config, module) -> options.Options:
    return options.from_config(config, module)


def pytest_configure(config):
    config.addinivalue_line("markers", "setup(name): runs only with --setup=name")
    harness.SMOKE["on"] = bool(config.getoption("--smoke", default=False))
    ledger.stop_when_orphaned()  # a trial whose bakeoff run was killed stops itself


def pytest_collection_modifyitems(config, items):
    """Keep the tests of the chosen set-up: a set-up's marked tests, or the unmarked ones."""
    setup = config.getoption("--setup")
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("setup")
        wanted = marker.args[0] if marker else ""
        (kept if wanted == setup else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_generate_tests(metafunc):
    if hasattr(metafunc.module, "STAGE"):
        opts = _options(metafunc.config, metafunc.module)
        options.parametrize(metafunc, metafunc.module.STAGE, opts)


@pytest.fixture(scope="module")
def bench_options(request) -> options.Options:
    return _options(request.config, request.module)


@pytest.fixture(scope="module")
def recorder(request, bench_options):
    recorder = harness.Recorder(request.module.STAGE, bench_options.out, bench_options.setup)
    yield recorder
    recorder.write()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """A trial whose bakeoff run was killed exits once its fixtures are torn down (their
    servers stopped), without pytest's slow goodbyes (a few garbage collections)."""
    if ledger.ORPHANED.is_set():
        os._exit(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """The test body's time, outside measured operations, is the trial's checks and probes;
    what a body that answers (``probes.answering``) adds to its record are answers."""
    record = _record(item, create=False)  # its fixtures made it, where a test answers
    with harness.counting_checks(), probes.answers(record, declared=False):
        yield


def _record(item, create: bool = True):
    """The record of the test's (tool, rows), if it has one."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    recorder = item.funcargs.get("recorder") if hasattr(item, "funcargs") else None
    if recorder is None or "tool" not in params or "rows" not in params:
        return None
    key = (params["tool"], params["rows"])
    return recorder.record(*key) if create else recorder.records.get(key)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed check fails the trial: the record of that (tool, rows) becomes ``failed``
    with the check's own message, whatever was timed before it."""
    outcome = yield
    report = outcome.get_result()
    record = _record(item) if report.failed else None
    if record is not None and record.status != "failed":
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash else str(report.longrepr).strip().splitlines()[-1]
        record.status = "failed"
        record.reason = f"check failed in {item.originalname}: {message.splitlines()[0][:300]}"
