"""What every stage's conformance suite shares: open a registered tool, or skip with why."""

import contextlib
from pathlib import Path

import pytest

from adapters import registry


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
    with registry.load(stage, tool)(**kwargs) as adapter:
        yield adapter


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
