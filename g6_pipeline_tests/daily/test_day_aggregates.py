"""The weekday master's per-day aggregates: stored compactly, read back to the bit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from g6_pipeline.daily.weekday_master import METRICS, SOURCES_KEY, aggregate_bytes, fold
from g6_pipeline.storage.parquet import table_bytes


def _aggregate(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = [f"{9 + m // 60:02d}:{m % 60:02d}:00" for m in range(15, 75)]
    keys = [(tag, off, t) for tag in ("this_week", "next_week") for off in (-100, 0, 100) for t in times]
    agg = pd.DataFrame(keys, columns=["expiry_tag", "offset", "time"])
    for name in METRICS:
        whole = name.endswith(("_vol", "_oi"))
        values = rng.integers(0, 10**9, len(agg)).astype(float) if whole else rng.normal(0, 50, len(agg))
        values[rng.random(len(agg)) < 0.05] = np.nan
        agg[name] = values
    return agg


def _read(data: bytes) -> tuple[pd.DataFrame, dict[bytes, bytes]]:
    table = pq.read_table(pa.BufferReader(data))
    return table.to_pandas(), table.schema.metadata or {}


def test_every_value_reads_back_exactly_and_the_file_is_smaller() -> None:
    agg = _aggregate(1)
    compact = aggregate_bytes(agg, ("synthetic",))
    back, metadata = _read(compact)
    assert json.loads(metadata[SOURCES_KEY]) == ["synthetic"]
    assert (
        back[["expiry_tag", "offset", "time"]].values.tolist()
        == agg[["expiry_tag", "offset", "time"]].values.tolist()
    )
    for name in METRICS:
        assert np.array_equal(back[name].to_numpy(float), agg[name].to_numpy(float), equal_nan=True), name
    plain = table_bytes(pa.Table.from_pandas(agg, preserve_index=False))
    assert len(compact) < 0.9 * len(plain)


def test_masters_fold_the_same_from_plain_and_compact_files() -> None:
    days = [_aggregate(seed) for seed in (2, 3, 4)]
    plain = [_read(table_bytes(pa.Table.from_pandas(a, preserve_index=False)))[0] for a in days]
    compact = [_read(aggregate_bytes(a, ("kite",)))[0] for a in days]
    mixed = [plain[0], compact[1], plain[2]]  # a directory holding files of both formats
    expected = fold(plain, 0.5)
    for frames in (compact, mixed):
        got = fold(frames, 0.5)
        keys = ["expiry_tag", "offset", "time", "counter"]
        assert got[keys].values.tolist() == expected[keys].values.tolist()
        values = got.drop(columns=keys).to_numpy(float)
        reference = expected.drop(columns=keys).to_numpy(float)
        assert np.array_equal(values.view(np.uint64), reference.view(np.uint64))
