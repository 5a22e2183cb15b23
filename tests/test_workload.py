"""The workload: synthetic Wish data, the loader, the model and defect injection."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from scenarios import defects, loader, model, wish

pytestmark = pytest.mark.workload


def _csv_hash(frame: pd.DataFrame, path) -> str:
    wish.write_csv(frame, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_csv(tmp_path):
    first = _csv_hash(wish.generate(3000, seed=5), tmp_path / "a.csv")
    assert first == _csv_hash(wish.generate(3000, seed=5), tmp_path / "b.csv")
    assert first != _csv_hash(wish.generate(3000, seed=6), tmp_path / "c.csv")


def test_schema_and_quirks():
    frame = wish.generate(5000)
    assert tuple(frame.columns) == wish.COLUMNS and len(wish.COLUMNS) == 43
    assert set(frame["units_sold"].unique()) <= set(wish.UNITS_BUCKETS)
    assert frame["price"].between(1, 50).all() and frame["rating"].between(1, 5).all()
    assert (frame["price"] > frame["retail_price"]).mean() > 0.1
    assert frame.duplicated().sum() > 0 and frame["product_id"].duplicated().sum() > 0
    assert frame["has_urgency_banner"].dropna().eq(1.0).all()
    assert frame["has_urgency_banner"].isna().any()
    no_ratings = frame["rating_count"] == 0
    assert frame.loc[no_ratings, list(wish.STAR_COLUMNS)].isna().all().all()
    stars = frame.loc[~no_ratings, list(wish.STAR_COLUMNS)].sum(axis=1)
    assert (stars == frame.loc[~no_ratings, "rating_count"]).all()
    assert frame["title"].str.contains("\n").any()
    assert frame["title"].map(lambda t: not t.isascii()).any()
    assert frame["product_id"].str.fullmatch(r"[0-9a-f]{24}").all()
    assert (frame["badges_count"] == frame[list(wish.BADGE_COLUMNS)].sum(axis=1)).all()


def test_csv_round_trip_keeps_newlines_and_nan_flags(tmp_path):
    frame = wish.generate(800)
    loaded = loader.load_csv(wish.write_csv(frame, tmp_path / "wish.csv"))
    assert loaded.shape == frame.shape
    assert loaded["title"].tolist() == frame["title"].tolist()
    assert loaded["has_urgency_banner"].isna().sum() == frame["has_urgency_banner"].isna().sum()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("price,units_sold\n1.0,100\n", "lacks the column(s)"),
        ("a,b\n1,2\n1,2,3,4\n", "is not a readable CSV file"),
        ("\x00\x01\x02binary", "lacks the column(s)"),
    ],
)
def test_loader_refuses_bad_files_with_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(loader.DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loader.load_csv(path)


def test_loader_names_a_missing_file(tmp_path):
    with pytest.raises(loader.DataError, match="does not exist"):
        loader.load_csv(tmp_path / "nowhere.csv")


def test_model_learns_and_is_reproducible():
    data = model.split(wish.generate(2000))
    first = model.train(data, "forest")
    again = model.train(model.split(wish.generate(2000)), "forest")
    assert model.score(first, data) > 0.5
    np.testing.assert_array_equal(first.predict(data.x_test), again.predict(data.x_test))
    assert model.units_bucket(np.log1p(1234.0)) == 1000


def test_defects_are_labelled_and_one_per_row():
    clean = wish.generate(3000).drop_duplicates().reset_index(drop=True)
    frame, truth = defects.inject_defects(clean)
    kinds = {kind for kind, _ in truth}
    assert kinds == set(defects.KINDS)
    rows = [row for _, row in truth]
    assert len(rows) == len(set(rows))
    assert len(frame) == len(clean) + defects.defects_per_kind(len(clean))  # appended copies
