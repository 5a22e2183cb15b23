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
