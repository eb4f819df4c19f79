"""Data directories for the lake tests: a mix of sealed and unsealed days, and one in the first layout.

`write_first_layout` writes what the writer and the seal wrote before the layout changed, file for file:
slices `date=D/index=<INDEX>/minute=HHMM.parquet`, the seal's `day.parquet` beside them and the sealed
slices moved under `_raw/` in the same folder, with the same serialisation (`table_bytes`, `sealed_bytes`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink, options_table, overview_table, sealed_bytes, table_bytes
from g6_pipeline.storage.seal import seal_day, seal_overview
from g6_pipeline_tests.fakes.chains import make_chain, make_day, minute

SEALED_DAY, MIXED_DAY = date(2026, 11, 20), date(2026, 11, 23)
INDICES = ("NIFTY", "SENSEX")
MINUTES = ("0915", "0916", "0917")


def write_mixed_lake(location: DataLocation) -> None:
    """Two indices over two days: the first day sealed for both; the second sealed for NIFTY (with a minute
    re-written after the seal) and still being collected for SENSEX (with a minute re-written)."""
    sink = ParquetSink(location)
    for day in (SEALED_DAY, MIXED_DAY):
        for index in INDICES:
            for chain in make_day(index, day, MINUTES):
                assert sink.write([chain]).error is None
    for day, index in ((SEALED_DAY, "NIFTY"), (SEALED_DAY, "SENSEX"), (MIXED_DAY, "NIFTY")):
        seal_day(location, day, index, 375)
        seal_overview(location, day, index, 375)
    for index in INDICES:
        assert sink.write([make_chain(index, minute(MIXED_DAY, "0916"), spot=1_000.0)]).error is None


def _put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _first_layout_day(
    root: Path, table_name: str, day: date, index: str, slices: Sequence[pa.Table], seal: bool
) -> None:
    folder = root / "parquet" / table_name / f"date={day.isoformat()}" / f"index={index}"
    names = [f"minute={t.column('timestamp')[0].as_py():%H%M}.parquet" for t in slices]
    for name, table in zip(names, slices, strict=True):
        _put(folder / name, table_bytes(table))
    if seal:
        _put(folder / "day.parquet", sealed_bytes(table_name, pa.concat_tables(slices)))
        for name in names:
            os.makedirs(folder / "_raw", exist_ok=True)
            os.replace(folder / name, folder / "_raw" / name)


def _tables(chains: Sequence[EnrichedChain]) -> dict[str, list[pa.Table]]:
    return {
        "options": [options_table(c.options) for c in chains],
        "overview": [overview_table([c.overview]) for c in chains],
    }


def write_first_layout(root: Path) -> dict[tuple[date, str], EnrichedChain]:
    """A data directory in the first layout; returns the minute re-written after the seal per (day, index).

    SEALED_DAY sealed for both indices; MIXED_DAY sealed for NIFTY with 09:16 re-written afterwards (a loose
    slice beside `day.parquet`, which the first layout's readers let win) and unsealed for SENSEX.
    """
    late: dict[tuple[date, str], EnrichedChain] = {}
    for day in (SEALED_DAY, MIXED_DAY):
        for index in INDICES:
            tables = _tables(make_day(index, day, MINUTES))
            seal = not (day == MIXED_DAY and index == "SENSEX")
            for table, slices in tables.items():
                _first_layout_day(root, table, day, index, slices, seal)
    rewrite = make_chain("NIFTY", minute(MIXED_DAY, "0916"), spot=1_000.0)
    late[(MIXED_DAY, "NIFTY")] = rewrite
    for table, (one,) in _tables([rewrite]).items():
        folder = root / "parquet" / table / f"date={MIXED_DAY.isoformat()}" / "index=NIFTY"
        _put(folder / "minute=0916.parquet", table_bytes(one))
    return late


def expected_first_layout_chain(day: date, index: str, late: dict[tuple[date, str], EnrichedChain]) -> pd.DataFrame:
    """What the first layout's `load_chain` gave for (day, index): the written rows, a late minute winning."""
    chains = make_day(index, day, MINUTES)
    frames = [c.options for c in chains if (day, index) not in late or c.timestamp != late[(day, index)].timestamp]
    if (day, index) in late:
        frames.append(late[(day, index)].options)
    return pd.concat(frames, ignore_index=True)
