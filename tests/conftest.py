"""What every stage's conformance suite shares: open a registered tool, or skip with why.

A tool that fails in its set-up with an error of its own (``ToolFailed``, in its words)
makes the tests that need it xfail with those words (`make test` lists them): a finding
about the tool, which `make bench` records and shows, not a failure of bakeoff."""

import contextlib
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import AdapterError, ToolFailed


def pytest_configure(config):
    """The runs the tests start keep their trial times out of the user's clock history
    (``bakeoff run``'s estimates and ``--budget`` read it); the data cache stays shared."""
    import os
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"bakeoff-test-history-{os.getuid()}"
    os.environ.setdefault("BAKEOFF_HISTORY", str(folder))


@contextlib.contextmanager
def _open_tool(stage: str, tool: str, **kwargs):
    reason = registry.missing(stage, tool)
    if reason:
        pytest.skip(f"not run: {reason}")
    try:
        with registry.load(stage, tool)(**kwargs) as adapter:
            yield adapter
    except AdapterError as error:
        if error.operation == "setup" and isinstance(error.__cause__, ToolFailed):
            pytest.xfail(f"the tool's own failure, a finding for the benchmark: {error}")
        raise


@pytest.fixture(scope="session")
def open_tool():
    """``with open_tool(stage, tool) as adapter``: set up, yielded, always closed."""
    return _open_tool


@pytest.fixture
def declared() -> dict[str, dict]:
    """Each stage's declaration as a run from this checkout writes it into its results file,
    in use for the report's words (labels.declare), as a rendered results file would set it."""
    from reports import labels

    stages = registry.as_json()
    labels.declare(stages)
    return stages


# The order in which `make test` (--dist loadfile --no-loadscope-reorder) hands files to its
# two workers: the longest first, so that the short files fill in beside them instead of
# one worker finishing alone (xdist's default puts files with many tests first, which put
# the Airflow tests last: 8 minutes of one worker). Durations from `make test --durations`
# on 2 cores, 2026-12-07; files not named follow in their usual order.
LONGEST_FIRST = (
    "test_orchestration",
    "test_serving",
    "test_monitoring",
    "test_cicd",
    "test_tracking",
    "test_tracking_team",
    "test_validation_spark",
    "test_harness",
    "test_versioning",
    "test_linting",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The longest files first, after pytest has ordered the tests by their fixtures (a
    stable sort: each file's tests keep their order)."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(Path(str(item.fspath)).stem, len(rank)))
