"""Workload data kept between runs in the user's cache (``~/.cache/bakeoff/data``), keyed
on the code that makes it, and where each size's frame came from (synthetic or ``--data``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.options import Options


DATA_SEED = 20260305


def data_cache() -> Path:
    """Where generated workloads are kept between runs: ``~/.cache/bakeoff/data``."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bakeoff" / "data"


def _digest(*files: str) -> str:
    """The first 12 hex digits of the sha256 of ``files``' bytes: a cache key that follows
    the code making the cached data."""
    return _text_digest(b"".join(Path(f).read_bytes() for f in files))


def cached_synthetic(
    rows: int, seed: int | None = None, columns: tuple[str, ...] = (), load: bool = True
):
    """The synthetic frame of ``rows`` rows, generated once per (generator code, seed, rows)
    and read back by every later trial (a pickle: the exact frame, NaN and None kept apart).
    ``seed`` None is the generator's default seed. ``columns``: only those, kept on their
    own (a stage that reads 14 of 43 columns reads a third of the bytes back, and its
    first use does not write the whole frame). ``load`` False: only make sure it is cached
    (None when it was)."""
    from scenarios import wish

    seeded = "" if seed is None else f"-seed{seed}"
    chosen = f"-columns{_text_digest(','.join(columns))}" if columns else ""

    def generated():
        frame = wish.generate(rows) if seed is None else wish.generate(rows, seed=seed)
        return frame[list(columns)] if columns else frame

    return cached_pickle(f"wish-{rows}{seeded}{chosen}", (wish.__file__,), generated, load)


def cached_pickle(name: str, code: tuple[str, ...], make: Callable[[], object], load: bool = True):
    """The frame (or other picklable object: a trained model) ``make()`` returns, made once
    per (``name``, which holds its inputs, and the source of the ``code`` files that make
    it) and read back by later trials. ``load`` False: only make sure it is cached; None
    when it already was."""
    import os
    import tempfile

    import pandas as pd

    path = data_cache() / f"{name}-{_digest(*code)}.pkl"
    if path.exists():
        return pd.read_pickle(path) if load else None
    frame = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        pd.to_pickle(frame, handle.name)
    os.replace(handle.name, path)  # atomic: a concurrent reader sees all or nothing
    return frame


def _text_digest(text: str | bytes) -> str:
    """The first 12 hex digits of the sha256 of ``text`` (str as UTF-8)."""
    import hashlib

    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()[:12]


def cached_folder(name: str, code: tuple[str, ...], build: Callable[[Path], object]) -> Path:
    """A folder of workload files in the user's cache, built once per (``name``, source of
    the ``code`` files that make it) by ``build(folder)`` and read-only from then on; built
    in a scratch folder and renamed, so a reader never sees half of it."""
    import os
    import shutil
    import tempfile

    path = data_cache() / f"{name}-{_digest(*code)}"
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=path.parent))
    try:
        build(scratch)
        os.replace(scratch, path)
    except OSError:
        if not path.is_dir():  # not a concurrent writer that got there first
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


DATA_SOURCES: dict[int, dict] = {}  # rows -> where that size's frame came from


def synthetic_source(rows: int) -> None:
    """Records of this size ran on synthetic data (also for workloads read from a cache)."""
    DATA_SOURCES[rows] = {"source": "synthetic", "rows": rows}


def synthetic_or_user_frame(opts: Options, rows: int):
    """The workload frame of exactly ``rows`` rows: synthetic, or the user's CSV
    (``--data``) resampled with a fixed seed (with replacement only when the file is
    smaller). Each record of that size says which (``Record.data``)."""
    from scenarios import loader

    if not opts.data:
        synthetic_source(rows)
        return cached_synthetic(rows)
    frame = loader.load_csv(opts.data)
    file_rows = len(frame)
    if rows != file_rows:
        frame = frame.sample(n=rows, replace=rows > file_rows, random_state=DATA_SEED)
        frame = frame.reset_index(drop=True)
    DATA_SOURCES[rows] = {"source": str(opts.data), "file_rows": file_rows, "rows": rows,
                          "resampled": rows != file_rows, "seed": DATA_SEED}  # fmt: skip
    return frame
