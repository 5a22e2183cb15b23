"""Fixtures every stage's benchmark file gets: its options and its recorder.

A benchmark module declares ``STAGE``, ``SIZES`` (default row counts) and ``REPEATS``;
its tests then receive ``tool`` and ``rows`` parameters from the registry and options.
"""

import pytest

from benchmarks import harness


def _options(config, module) -> harness.Options:
    return harness.options(config, module.SIZES, module.REPEATS)


def pytest_generate_tests(metafunc):
    if hasattr(metafunc.module, "STAGE"):
        opts = _options(metafunc.config, metafunc.module)
        harness.parametrize(metafunc, metafunc.module.STAGE, opts)


@pytest.fixture(scope="module")
def bench_options(request) -> harness.Options:
    return _options(request.config, request.module)


@pytest.fixture(scope="module")
def recorder(request, bench_options):
    recorder = harness.Recorder(request.module.STAGE, bench_options.out)
    yield recorder
    recorder.write()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed check fails the trial: the record of that (tool, rows) becomes ``failed``
    with the check's own message, whatever was timed before it."""
    outcome = yield
    report = outcome.get_result()
    params = getattr(getattr(item, "callspec", None), "params", {})
    recorder = item.funcargs.get("recorder") if hasattr(item, "funcargs") else None
    if not report.failed or recorder is None or "tool" not in params or "rows" not in params:
        return
    record = recorder.record(params["tool"], params["rows"])
    if record.status != "failed":
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash else str(report.longrepr).strip().splitlines()[-1]
        record.status = "failed"
        record.reason = f"check failed in {item.originalname}: {message.splitlines()[0][:300]}"
