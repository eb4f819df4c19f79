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

    @property
    def complete(self) -> bool:
        """Every expected minute was collected."""
        return self.minutes_collected >= self.minutes_expected


def _slice_names(folder_names: list[str]) -> list[str]:
    return [n for n in folder_names if n.startswith("minute=") and n.endswith(".parquet")]


def _load_day(
    location: DataLocation, table_name: str, day: date, index: str
) -> tuple[pa.Table | None, list[str]]:
    """The day's merged table (None if nothing is stored) and the names of the loose slices merged in."""
    folder = location.table_dir(table_name, day, index)
    names = location.list_names(folder)
    loose = _slice_names(names)
    if SEALED_NAME in names:
        base = read_table(location, location.sealed_file(table_name, day, index))
    else:
        raw = _slice_names(location.list_names(location.raw_dir(table_name, day, index)))
        raw_dir = location.raw_dir(table_name, day, index)
        base_paths = [raw_dir / n for n in raw if n not in loose]
        base = read_tables(location, base_paths) if base_paths else None
    if not loose:
        return base, []
    fresh = read_tables(location, [folder / n for n in loose])
    if base is not None and base.num_rows:
        replaced = pc.is_in(base.column("timestamp"), value_set=pc.unique(fresh.column("timestamp")))
        base = base.filter(pc.invert(replaced))
        fresh = pa.concat_tables([base, fresh.cast(base.schema)])
    return fresh, loose


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
    return verified, location.size(location.sealed_file(table_name, day, index)), len(loose)


def seal_day(
    location: DataLocation, day: date, index: str, expected_minutes: int, compression: str = "zstd"
) -> SealReport:
    """Compact one day's option slices of one index into its sealed file, verify it, report what it holds.

    Idempotent. Raises `SealError` when nothing is stored for the day or the compacted data does not verify;
    it is checked before it replaces the previous sealed file and again after, read back from disk.
    """
    table, size, merged = _seal_table(location, OPTIONS, day, index, compression)
    minutes = len(pc.unique(table.column("timestamp")))
    return SealReport(
        day=day,
        index=index,
        table=OPTIONS,
        path=str(location.sealed_file(OPTIONS, day, index)),
        rows=table.num_rows,
        minutes_collected=minutes,
        minutes_expected=expected_minutes,
        missing_legs_total=_missing_legs(location, day, index),
        file_bytes=size,
        slices_merged=merged,
    )


def seal_overview(
    location: DataLocation, day: date, index: str, expected_minutes: int, compression: str = "zstd"
) -> SealReport:
    """Compact one day's overview slices of one index, like `seal_day` (idempotent, verified)."""
    table, size, merged = _seal_table(location, OVERVIEW, day, index, compression)
    missing = pc.sum(table.column("legs_missing")).as_py()
    return SealReport(
        day=day,
        index=index,
        table=OVERVIEW,
        path=str(location.sealed_file(OVERVIEW, day, index)),
        rows=table.num_rows,
        minutes_collected=table.num_rows,
        minutes_expected=expected_minutes,
        missing_legs_total=int(missing) if missing is not None else None,
        file_bytes=size,
        slices_merged=merged,
    )


def _missing_legs(location: DataLocation, day: date, index: str) -> int | None:
    table, _ = _load_day(location, OVERVIEW, day, index)
    if table is None or table.num_rows == 0:
        return None
    total = pc.sum(table.column("legs_missing")).as_py()
    return int(total) if total is not None else None


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
        table_root = location.root / "parquet" / table_name
        for day_name in location.list_names(table_root):
            if not day_name.startswith("date="):
                continue
            try:
                day = date.fromisoformat(day_name.removeprefix("date="))
            except ValueError:
                continue
            if day >= older_than:
                continue
            for index_name in location.list_names(table_root / day_name):
                index = index_name.removeprefix("index=")
                if not location.exists(location.sealed_file(table_name, day, index)):
                    continue
                raw_dir = location.raw_dir(table_name, day, index)
                names = _slice_names(location.list_names(raw_dir))
                for name in names:
                    size += location.size(raw_dir / name)
                    location.remove(raw_dir / name)
                    removed += 1
                if names and (day, index) not in days:
                    days.append((day, index))
    return PruneReport(files_removed=removed, bytes_removed=size, days=tuple(sorted(days)))
