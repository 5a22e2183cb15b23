"""Load a user's CSV (e.g. the real Kaggle file) and check it has what bakeoff needs."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from scenarios.model import MODEL_COLUMNS


class DataError(ValueError):
    """A data file bakeoff cannot use; the message is one sentence saying what to do."""


def load_csv(path: str | Path, required: tuple[str, ...] = MODEL_COLUMNS) -> pd.DataFrame:
    """Read ``path`` as the Wish-schema CSV; raise DataError naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file; pass the path of a CSV file.")
    try:
        frame = pd.read_csv(path, encoding="utf-8", encoding_errors="replace", low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; pass a CSV with a header row and data.") from None
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path} is not a readable CSV file ({first_line}).") from None
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks the column(s) {', '.join(missing)} that bakeoff needs "
            "(see wish-schema.md for the Wish summer-products columns)."
        )
    if frame.empty:
        raise DataError(f"{path} has a header but no rows; pass a CSV with data.")
    return frame
