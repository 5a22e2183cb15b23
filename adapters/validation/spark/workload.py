"""The Spark set-up's workload on disk: the defective and clean frames as Parquet with a
``row_id`` column, and the injected defects, written once from chunks of Wish rows.

Each chunk is cleaned (exact duplicates dropped) and gets its own labelled defects
(``scenarios.defects``), so a large file is written a chunk at a time in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adapters.validation.spark import ROW_ID

DEFECT_SEED = 7


@dataclass(frozen=True)
class Workload:
    folder: Path

    @property
    def defective(self) -> Path:
        return self.folder / "defective.parquet"

    @property
    def clean(self) -> Path:
        return self.folder / "clean.parquet"

    @property
    def truth_file(self) -> Path:
        return self.folder / "truth.parquet"

    def truth(self) -> list[tuple[str, int]]:
        """The injected defects as (kind, row_id) pairs."""
        table = pd.read_parquet(self.truth_file)
        return list(zip(table["kind"], table["row"].astype(int).tolist(), strict=True))

    def rows(self) -> int:
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.defective).metadata.num_rows


def write(chunks: Iterable[pd.DataFrame], folder: Path) -> Workload:
    """Write the workload of ``chunks`` (Wish frames) into ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scenarios import defects

    folder.mkdir(parents=True, exist_ok=True)
    workload, writers, truth = Workload(folder), {}, []
    offsets = {"defective": 0, "clean": 0}
    try:
        for number, chunk in enumerate(chunks):
            clean = defects.deduplicated(chunk)
            defective, found = defects.inject_defects(clean, seed=DEFECT_SEED + number)
            clean = clean.astype(defective.dtypes.to_dict())  # one schema for both files
            truth += [(kind, row + offsets["defective"]) for kind, row in found]
            for name, frame in (("defective", defective), ("clean", clean)):
                frame.insert(0, ROW_ID, range(offsets[name], offsets[name] + len(frame)))
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
                writers[name].write_table(table.cast(writers[name].schema))
                offsets[name] += len(frame)
    finally:
        for writer in writers.values():
            writer.close()
    kinds, rows = zip(*truth, strict=True) if truth else ((), ())
    pd.DataFrame({"kind": kinds, "row": rows}).to_parquet(workload.truth_file, index=False)
    return workload


def read_pandas(path: Path) -> pd.DataFrame:
    """A Parquet file of the workload as the pandas validators take it: positions as a
    RangeIndex (``row_id`` is the position), without the ``row_id`` column."""
    return pd.read_parquet(path).drop(columns=ROW_ID)
