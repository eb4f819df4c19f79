"""The daily seal: compact a day's minute slices into its `day.parquet`, verify it, and prune old raw slices.

Sealing merges what is stored for the day (the existing sealed file, else the slices kept under `_raw/`)
with any minute slices still in the day's folder (a slice overrides the same minute of the older data),
writes the result atomically, reads it back to check rows and uniqueness, and only then moves the slices
under `_raw/`, where dataset readers do not see them and `prune_raw` removes them later. Running it again
gives the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    ROW_KEY,
    SCHEMAS,
    conform,
    overlay_minutes,
    read_table,
    read_tables,
    sealed_bytes,
)


class SealError(RuntimeError):
    """A day could not be sealed (nothing stored, or the written file failed verification)."""


@dataclass(frozen=True)
class SealReport:
    """What the seal of one (day, index) produced."""

    day: date
    index: str
    table: str
    path: str
    rows: int
    minutes_collected: int
    minutes_expected: int
    missing_legs_total: int | None
    """Σ `legs_missing` over the day's overview rows; None when no overview is stored."""
    file_bytes: int
    slices_merged: int
    """Minute slices folded in by this run (0 when the day was already sealed and nothing new arrived)."""
    sources: tuple[str, ...] = ()
    """The sources of the day's rows, sorted (more than one: the day mixes them)."""

    @property
    def complete(self) -> bool:
        """Every expected minute was collected."""
        return self.minutes_collected >= self.minutes_expected


def _load_day(
    location: DataLocation, table_name: str, day: date, index: str
) -> tuple[pa.Table | None, list[str]]:
    """The day's merged table (None if nothing is stored) and the names of the loose slices merged in."""
    folder = location.table_dir(table_name, day, index)
    loose = location.minute_slice_names(folder)
    if SEALED_NAME in location.list_names(folder):
        base = read_table(location, location.sealed_file(table_name, day, index))
    else:
        raw_dir = location.raw_dir(table_name, day, index)
        base_paths = [raw_dir / n for n in location.minute_slice_names(raw_dir) if n not in loose]
        base = read_tables(location, base_paths) if base_paths else None
    if not loose:
        return base, []
    return overlay_minutes(base, read_tables(location, [folder / n for n in loose])), loose


def _verify(table: pa.Table, table_name: str, path: object, expected_rows: int) -> pa.Table:
    if not table.schema.equals(SCHEMAS[table_name], check_metadata=False):
        raise SealError(f"{path}: schema differs from the {table_name} schema")
    if table.num_rows != expected_rows:
        raise SealError(f"{path}: read back {table.num_rows} rows, wrote {expected_rows}")
    key = list(ROW_KEY) if table_name == OPTIONS else ["timestamp"]
    unique = table.group_by(key).aggregate([]).num_rows
    if unique != table.num_rows:
        raise SealError(f"{path}: {table.num_rows - unique} duplicate ({', '.join(key)}) rows")
    return table


def _seal_table(
    location: DataLocation, table_name: str, day: date, index: str, compression: str
) -> tuple[pa.Table, int, int]:
    """Seal one table; returns (verified table, file size, slices merged)."""
    table, loose = _load_day(location, table_name, day, index)
    if table is None:
        folder = location.table_dir(table_name, day, index)
        raise SealError(f"nothing stored for {index} on {day.isoformat()} under {folder}")
    path = location.sealed_file(table_name, day, index)
    if loose:
        data = sealed_bytes(table_name, table, compression)
        _verify(conform(pq.read_table(pa.BufferReader(data))), table_name, path, table.num_rows)
        location.write_atomic(path, data)
    verified = _verify(read_table(location, path), table_name, path, table.num_rows)
    folder = location.table_dir(table_name, day, index)
    raw_dir = location.raw_dir(table_name, day, index)
    for name in loose:
        location.move(folder / name, raw_dir / name)
    return verified, location.size(path), len(loose)


def seal_day(
    location: DataLocation, day: date, index: str, expected_minutes: int, compression: str = "zstd"
) -> SealReport:
    """Compact one day's option slices of one index into its sealed file, verify it, report what it holds.

    Idempotent. Raises `SealError` when nothing is stored for the day or the compacted data does not verify;
    it is checked before it replaces the previous sealed file and again after, read back from disk.
    """
    return _seal(location, OPTIONS, day, index, expected_minutes, compression)


def seal_overview(
    location: DataLocation, day: date, index: str, expected_minutes: int, compression: str = "zstd"
) -> SealReport:
    """Compact one day's overview slices of one index, like `seal_day` (idempotent, verified)."""
    return _seal(location, OVERVIEW, day, index, expected_minutes, compression)


def _seal(
    location: DataLocation, table_name: str, day: date, index: str, expected_minutes: int, compression: str
) -> SealReport:
    """Seal one table and report it; the missing legs are summed over the day's overview rows."""
    table, size, merged = _seal_table(location, table_name, day, index, compression)
    if table_name == OPTIONS:
        minutes = len(pc.unique(table.column("timestamp")))
        overview, _ = _load_day(location, OVERVIEW, day, index)
    else:
        minutes, overview = table.num_rows, table
    missing = None
    if overview is not None and overview.num_rows:
        total = pc.sum(overview.column("legs_missing")).as_py()
        missing = int(total) if total is not None else None
    return SealReport(
        day=day,
        index=index,
        table=table_name,
        path=str(location.sealed_file(table_name, day, index)),
        rows=table.num_rows,
        minutes_collected=minutes,
        minutes_expected=expected_minutes,
        missing_legs_total=missing,
        file_bytes=size,
        slices_merged=merged,
        sources=tuple(sorted(str(s) for s in pc.unique(table.column("source")).to_pylist() if s is not None)),
    )


@dataclass(frozen=True)
class PruneReport:
    """What `prune_raw` removed."""

    files_removed: int
    bytes_removed: int
    days: tuple[tuple[date, str], ...]
    """(day, index) pairs whose raw slices were removed."""


def prune_raw(location: DataLocation, older_than: date) -> PruneReport:
    """Remove the raw minute slices (`_raw/`) of sealed days before `older_than`; never a sealed file.

    Slices of a day that has no sealed file are kept, whatever their age.
    """
    removed = size = 0
    days: list[tuple[date, str]] = []
    for table_name in (OPTIONS, OVERVIEW):
        for day in location.table_days(table_name):
            if day >= older_than:
                continue
            for index in location.table_indices(table_name, day):
                if not location.exists(location.sealed_file(table_name, day, index)):
                    continue
                raw_dir = location.raw_dir(table_name, day, index)
                names = location.minute_slice_names(raw_dir)
                for name in names:
                    size += location.size(raw_dir / name)
                    location.remove(raw_dir / name)
                    removed += 1
                if names and (day, index) not in days:
                    days.append((day, index))
    return PruneReport(files_removed=removed, bytes_removed=size, days=tuple(sorted(days)))
