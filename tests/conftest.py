"""What every stage's conformance suite shares: open a registered tool, or skip with why."""

import contextlib

import pytest

from adapters import registry


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
