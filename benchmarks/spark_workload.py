"""The Spark set-up's workload on disk, and its cache: the defective and clean frames of
``rows`` rows as Parquet (with ``row_id``) and the injected defects, written once per
version of the code that makes them and kept beside ``datacache.cached_synthetic``'s frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import datacache, harness

if TYPE_CHECKING:
    import pandas as pd

    from adapters.validation.spark.workload import Workload

PARQUET_CHUNK_ROWS = 1_000_000


def prepare(bench_options, rows: int) -> Workload:
    """The workload of ``rows`` rows: the ``--data`` file's, written to a scratch folder, or
    the synthetic one, from the cache (written there first when it is missing)."""
    import tempfile

    from adapters.validation.spark import workload

    if bench_options.data:
        folder = Path(tempfile.mkdtemp(prefix="bakeoff-parquet-"))
        frame = datacache.synthetic_or_user_frame(bench_options, rows)
        return _written(lambda: workload.write([frame], folder), folder)
    folder = _parquet_cache(rows)
    if not (folder / "made.json").exists():
        scratch = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=folder.parent))
        _written(lambda: workload.write(_synthetic_chunks(rows), scratch), scratch)
        try:
            scratch.rename(folder)  # atomic: a concurrent trial sees all or nothing
        except OSError:  # another trial wrote it first
            import shutil

            shutil.rmtree(scratch)
    datacache.synthetic_source(rows)
    return workload.Workload(folder)


def _parquet_cache(rows: int) -> Path:
    import hashlib
    import inspect

    from adapters.validation.spark import workload
    from scenarios import defects, wish

    sources = [Path(s).read_bytes() for s in (wish.__file__, defects.__file__, workload.__file__)]
    sources += [inspect.getsource(f).encode() for f in (_synthetic_chunks, _renumbered)]
    code = hashlib.sha256(b"".join(sources)).hexdigest()[:12]
    folder = datacache.data_cache() / f"wish-{code}-{rows}-parquet"
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _synthetic_chunks(rows: int):
    """The synthetic frame, a million rows at a time, so ten million rows are written in
    bounded memory; up to a million, the cached frame. Above a million each chunk is the
    cached million-row frame again under its own product ids and, in ``workload.write``,
    with its own injected defects: generating ten distinct millions took about an hour
    here, this takes a minute. Validation cost does not depend on how varied the values
    are; the record's details say how the rows were made. See ``_renumbered``."""
    if rows <= PARQUET_CHUNK_ROWS:
        yield datacache.cached_synthetic(rows)
        return
    million = datacache.cached_synthetic(PARQUET_CHUNK_ROWS)
    for number, start in enumerate(range(0, rows, PARQUET_CHUNK_ROWS)):
        harness.progress(f"writing rows {start:,} to {start + PARQUET_CHUNK_ROWS:,}")
        yield _renumbered(million.head(rows - start), number)


def _renumbered(chunk: pd.DataFrame, number: int) -> pd.DataFrame:
    """Copy ``number`` of the million-row frame: the first byte of every product id
    XOR ``number`` (a one-to-one map, so ids stay valid and distinct, and copy ``number``
    never gives an id another copy gives), and the product URL and picture follow the new
    id. No row of one copy equals a row of another under the duplicate rule (all
    columns), even where a defect later overwrites or removes the product id: the URL
    still differs. Replacing the byte instead (the first version) left the rows whose id
    already started with it unchanged, 1 in 256, and the duplicate rule rightly flagged
    about 32,000 of them at 10M rows."""
    if number >= 256:
        raise ValueError("at most 256 copies of the million-row frame (25.6M rows)")
    chunk = chunk.copy()
    if not number:
        return chunk
    ids = chunk["product_id"].astype("string")
    first = ids.str.slice(0, 2).map(
        lambda byte: f"{int(byte, 16) ^ number:02x}", na_action="ignore"
    )
    renumbered = (first + ids.str.slice(2)).where(ids.notna(), None)
    page = renumbered.fillna(f"copy-{number}")  # a page of its own without an id too
    chunk["product_id"] = renumbered
    chunk["product_url"] = "https://www.wish.com/c/" + page
    chunk["product_picture"] = "https://contestimg.wish.com/api/webimage/" + page + "-medium.jpg"
    return chunk


def _written(write, folder: Path):
    """Run ``write``; note how long it took and how big the files are in ``made.json``."""
    import json
    import time

    started = time.perf_counter()
    work = write()
    made = {
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "generation_seconds": round(time.perf_counter() - started, 1),
        "rows": work.rows(),
        "parquet_mb": round(sum(p.stat().st_size for p in folder.glob("*")) / 1e6, 1),
        "defective_parquet_mb": round(work.defective.stat().st_size / 1e6, 1),
    }
    (folder / "made.json").write_text(json.dumps(made), encoding="utf-8")
    return work


def made(work: Workload) -> dict:
    """How the workload was made: when, in how many seconds, how many rows and MB."""
    import json

    return json.loads((work.folder / "made.json").read_text(encoding="utf-8"))
