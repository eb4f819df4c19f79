"""The one Parquet format of G6's files: lossless float encodings, row groups a filter can skip, the sort."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from g6_pipeline.data import load_chain
from g6_pipeline.storage import parquet_format
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink, options_table, sealed_bytes, table_bytes
from g6_pipeline.storage.reader import RowFilter
from g6_pipeline_tests.fakes.chains import make_day

DAY = date(2026, 11, 23)
MINUTES = [f"{9 + m // 60:02d}{m % 60:02d}" for m in range(15, 45)]
EDGE_BITS = [
    0x0000000000000000,  # 0.0
    0x8000000000000000,  # -0.0
    0x7FF8000000000000,  # the NaN numpy makes
    0x7FF8000000000001,  # a quiet NaN with a payload
    0xFFF8000000000000,  # a negative NaN
    0x7FF0000000000001,  # a signalling NaN
    0x0000000000000001,  # the smallest subnormal
    0x7FF0000000000000,  # +inf
    0xFFF0000000000000,  # -inf
    0x7FEFFFFFFFFFFFFF,  # the largest double
    0x3FB999999999999A,  # 0.1
]


def _bits(column: pa.ChunkedArray | pa.Array) -> list[int | None]:
    """Each value's 64 bits (None for a null)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    words = array.fill_null(0).to_numpy(zero_copy_only=False).view(np.uint64)
    return [None if not valid else int(w) for w, valid in zip(words, array.is_valid().to_pylist(), strict=True)]


def _encodings(data: bytes) -> dict[str, set[str]]:
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    found: dict[str, set[str]] = {}
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            chunk = meta.row_group(g).column(c)
            found.setdefault(chunk.path_in_schema, set()).update(chunk.encodings)
    return found


def test_every_float_reads_back_bit_for_bit_in_either_encoding() -> None:
    rng = np.random.default_rng(7)
    spread = rng.standard_normal(5_000) * 1e-3  # no value repeats: byte-stream-split
    spread[: len(EDGE_BITS)] = np.array(EDGE_BITS, dtype=np.uint64).view(np.float64)
    single = rng.standard_normal(5_000).astype(np.float32)
    single[:4] = np.array([0x80000000, 0x7FC00001, 0x7F800000, 0x00000001], dtype=np.uint32).view(np.float32)
    few = np.resize(np.array(EDGE_BITS, dtype=np.uint64).view(np.float64), 5_000)  # 11 values repeated: dictionary
    table = pa.table({
        "spread": pa.array(spread),
        "few": pa.array(few),
        "with_nulls": pa.array(spread, mask=np.arange(5_000) % 3 == 0),
        "single": pa.array(single),
    })  # fmt: skip
    data = table_bytes(table)
    encodings = _encodings(data)
    assert "BYTE_STREAM_SPLIT" in encodings["spread"] and "BYTE_STREAM_SPLIT" in encodings["single"]
    assert "RLE_DICTIONARY" in encodings["few"] and "BYTE_STREAM_SPLIT" not in encodings["few"]
    back = pq.read_table(pa.BufferReader(data))
    for name in table.column_names:
        if name == "single":
            want = table.column(name).combine_chunks().to_numpy().view(np.uint32)
            assert (back.column(name).combine_chunks().to_numpy().view(np.uint32) == want).all()
        else:
            assert _bits(back.column(name)) == _bits(table.column(name)), name


def test_a_stored_day_reads_back_bit_for_bit(location: DataLocation) -> None:
    chains = make_day("NIFTY", DAY, MINUTES[:5])
    options = pd.concat([c.options for c in chains], ignore_index=True)
    edges = np.resize(np.array(EDGE_BITS, dtype=np.uint64).view(np.float64), len(options))
    options["iv"] = np.where(np.isnan(edges), np.nan, edges)  # pandas' NaN is the one NaN a frame stores
    options["delta"] = options["delta"] * (1 + 1e-12 * np.arange(len(options)))
    ParquetSink(location).write_day_frames(options, pd.DataFrame([c.overview for c in chains]))
    sealed = location.read_bytes(location.sealed_file("options", DAY, "NIFTY"))
    assert "BYTE_STREAM_SPLIT" in _encodings(sealed)["delta"]
    got = load_chain(DAY, "NIFTY", data_dir=location.root.path)
    key = ["timestamp", "expiry_tag", "strike", "side"]
    got, want = got.sort_values(key, ignore_index=True), options.sort_values(key, ignore_index=True)
    for column in ("iv", "delta", "gamma", "last_price", "strike", "oi"):
        assert (got[column].to_numpy().view(np.uint64) == want[column].to_numpy().view(np.uint64)).all(), column


def test_row_groups_break_at_every_key_change_and_cut_long_runs_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet_format, "ROW_GROUP_ROWS", 4)
    keys = pa.table({"expiry": ["a"] * 3 + ["b"] * 9 + ["c"], "tag": ["x", "x", "y"] + ["x"] * 10})
    # runs: a/x 2 rows, a/y 1, b/x 9 (cut into 3 + 3 + 3), c/x 1
    assert parquet_format.row_groups(keys, ["expiry", "tag"]) == [(0, 2), (2, 1), (3, 3), (6, 3), (9, 3), (12, 1)]
    assert parquet_format.row_groups(keys) == [(0, 3), (3, 3), (6, 3), (9, 4)]
    assert parquet_format.row_groups(keys.slice(0, 0), ["expiry"]) == []


def test_a_sealed_day_is_sorted_by_contract_in_row_groups_of_one_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet_format, "ROW_GROUP_ROWS", 100)
    chains = make_day("NIFTY", DAY, MINUTES)
    table = options_table(pd.concat([c.options for c in chains], ignore_index=True))
    data = sealed_bytes("options", table)
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    stored = pq.read_table(pa.BufferReader(data))
    frame = stored.to_pandas()
    order = ["expiry", "expiry_tag", "strike", "side", "timestamp"]
    pd.testing.assert_frame_equal(frame, frame.sort_values(order, ignore_index=True))
    assert meta.num_rows == table.num_rows and meta.num_row_groups > 2
    offset = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        rows = frame.iloc[offset : offset + group.num_rows]
        offset += group.num_rows
        assert group.num_rows <= 100 and rows[["expiry", "expiry_tag"]].drop_duplicates().shape[0] == 1
        assert [s.column_index for s in group.sorting_columns] == [stored.schema.get_field_index(c) for c in order]
        for c in range(group.num_columns):
            assert group.column(c).is_stats_set and group.column(c).has_column_index


def test_a_filter_on_an_expiry_and_strikes_skips_the_other_row_groups(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(parquet_format, "ROW_GROUP_ROWS", 200)
    chains = make_day("NIFTY", DAY, MINUTES)
    table = options_table(pd.concat([c.options for c in chains], ignore_index=True))
    path = tmp_path / "day.parquet"
    path.write_bytes(sealed_bytes("options", table))
    expiry = table.column("expiry")[0].as_py()
    strikes = sorted(set(table.column("strike").to_pylist()))
    rows = RowFilter(expiries=(expiry,), strikes=(strikes[0], strikes[1]))
    (fragment,) = pads.dataset(str(path), format="parquet").get_fragments()
    kept = fragment.split_by_row_group(rows.expression())
    assert 0 < len(kept) < fragment.num_row_groups / 4
    read = pa.concat_tables(f.to_table(filter=rows.expression()) for f in kept)
    frame = table.to_pandas()
    want = frame[(frame["expiry"] == expiry) & frame["strike"].between(strikes[0], strikes[1])]
    assert read.num_rows == len(want) > 0
