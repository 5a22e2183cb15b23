"""The bakeoff options of a benchmark session and the parameters they give its tests: the
tools (a stage's registered ones, or a set-up's: adapters/setups.py) and the sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters import registry, setups


@dataclass(frozen=True)
class Options:
    rows: tuple[int, ...]
    data: Path | None
    tools: tuple[str, ...]
    repeats: int
    out: Path | None
    setup: str = ""  # "" = the stage's default set-up; else one of its set-ups ("team")
    probe_rows: int = 0  # the one size that runs the feature probes; 0: every size
    smoke: bool = False  # --smoke (bakeoff run --quick): see SMOKE
    answers_known: bool = False  # --answers-known: the runner carries stored answers over


def from_config(config: pytest.Config, module) -> Options:
    """The bakeoff options of this pytest session, with the defaults filled in: the sizes
    its stage declares (its ``STAGE.sizes``, or its set-up's) and the module's ``REPEATS``."""
    setup = config.getoption("--setup")
    default_rows = setups.sizes(module.STAGE, setup)
    default_repeats = module.REPEATS
    rows = tuple(int(r) for r in config.getoption("--rows").split(",") if r)
    tools = tuple(t for t in config.getoption("--tools").split(",") if t)
    data, out = config.getoption("--data"), config.getoption("--bakeoff-out")
    return Options(
        rows or default_rows,
        Path(data) if data else None,
        tools,
        config.getoption("--repeats") or default_repeats,
        Path(out) if out else None,
        setup,
        config.getoption("--probe-rows") or 0,
        bool(config.getoption("--smoke")),
        bool(config.getoption("--answers-known")),
    )


def parametrize(metafunc: pytest.Metafunc, stage: str, opts: Options) -> None:
    """Parametrise ``tool`` over the stage's tools and ``rows`` over the sizes."""
    if "tool" in metafunc.fixturenames:
        names = opts.tools or setup_tools(stage, opts.setup)
        params = [pytest.param(name, marks=_skip_if_missing(stage, name)) for name in names]
        metafunc.parametrize("tool", params, scope="module")
    if "rows" in metafunc.fixturenames:
        metafunc.parametrize("rows", opts.rows, scope="module", ids=lambda r: f"{r}rows")


def setup_tools(stage: str, setup: str) -> tuple[str, ...]:
    """The tools a stage runs in ``setup`` ("" = every registered tool). A set-up may
    name a tool with its set-up after a '+', e.g. 'mlflow+postgresql'."""
    if not setup:
        return tuple(registry.tools(stage))
    return tuple(setups.lookup(stage, setup).tools)


def _skip_if_missing(stage: str, tool: str):
    reason = registry.missing(stage, setups.base_tool(tool))
    return pytest.mark.skipif(reason is not None, reason=f"not run: {reason}")
