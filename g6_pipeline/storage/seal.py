"""The daily seal: compact a day's minute slices into its `day.parquet`, verify it, and prune old raw slices.

Sealing merges what is stored for the day (the sealed file, else a staged file an interrupted seal left,
else the kept raw slices) with the minute slices in the day's partition (a slice overrides the same minute
of the older data) and commits the result through `parquet.commit_day`: verified in memory, written to the
staging area, read back and verified, then the slices move out of the partition tree to
`parquet/_raw/...` and the sealed file takes their place. `prune_raw` removes the kept slices later.
Running it again gives the same file. A minute whose slice cannot be read is first moved to the quarantine
folder (`storage.quarantine`) and named in the report; the rest of the day is sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    SCHEMAS,
    CommittedDay,
    SealError,
    commit_day,
    read_table,
    read_tables,
    verify_table,
)
from g6_pipeline.storage.quarantine import quarantine_unreadable
from g6_pipeline.storage.writer import partition_lock

__all__ = ["PruneReport", "SealError", "SealReport", "committed_reports", "prune_raw", "seal_day", "seal_overview"]


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
    quarantined: tuple[str, ...] = ()
    """The unreadable slices this seal moved to the quarantine folder, each naming its file and the reason."""

    @property
    def complete(self) -> bool:
        """Every expected minute was collected."""
        return self.minutes_collected >= self.minutes_expected


def _base(location: DataLocation, table_name: str, day: date, index: str) -> pa.Table | None:
    """What is stored for the day besides the partition's minute slices (None if nothing)."""
    staged = location.staged_file(table_name, day, index)
    if location.exists(staged):  # an interrupted seal: the staged file holds everything it had merged
        return read_table(location, staged)
    folder = location.table_dir(table_name, day, index)
    if SEALED_NAME in location.list_names(folder):
        return read_table(location, folder / SEALED_NAME)
    raw_dir = location.raw_dir(table_name, day, index)
    loose = set(location.minute_slice_names(folder))
    base_paths = [raw_dir / n for n in location.minute_slice_names(raw_dir) if n not in loose]
    return read_tables(location, base_paths) if base_paths else None


def _seal_table(
    location: DataLocation, table_name: str, day: date, index: str, compression: str
) -> tuple[pa.Table, int, int]:
    """Seal one table; returns (verified table, file size, slices merged)."""
    folder = location.table_dir(table_name, day, index)
    base = _base(location, table_name, day, index)
    loose = location.minute_slice_names(folder)
    if base is None and not loose:
        raise SealError(f"nothing stored for {index} on {day.isoformat()} under {folder}")
    path = location.sealed_file(table_name, day, index)
    done = location.exists(path) and not location.exists(location.staged_file(table_name, day, index))
    if base is not None and done and not loose:  # already sealed and nothing new: verify only
        return verify_table(read_table(location, path), table_name, path, base.num_rows), location.size(path), 0
    start = SCHEMAS[table_name].empty_table() if base is None else base
    return commit_day(location, table_name, day, index, start, compression)


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


def _overview_rows(location: DataLocation, day: date, index: str) -> pa.Table | None:
    """The day's overview rows as stored (sealed file or minute slices), None when there are none."""
    folder = location.table_dir(OVERVIEW, day, index)
    names = location.list_names(folder)
    if SEALED_NAME in names:
        return read_table(location, folder / SEALED_NAME)
    slices = location.minute_slice_names(folder)
    return read_tables(location, [folder / n for n in slices]) if slices else None


def _seal(
    location: DataLocation, table_name: str, day: date, index: str, expected_minutes: int, compression: str
) -> SealReport:
    """Seal one table and report it; the missing legs are summed over the day's overview rows."""
    quarantined = quarantine_unreadable(location, day, index)
    with partition_lock(location, day, index):  # the day's read-merge-write must not interleave with a minute's
        table, size, merged = _seal_table(location, table_name, day, index, compression)
    overview = _overview_rows(location, day, index) if table_name == OPTIONS else table
    return _report(location, table_name, day, index, table, overview, expected_minutes, size, merged,
                   tuple(q.describe() for q in quarantined))


def committed_reports(location: DataLocation, committed: CommittedDay, expected_minutes: int) -> tuple[
        SealReport, SealReport]:
    """The seal reports (options, overview) of a day just committed whole as its sealed files (a backfilled day,
    `ParquetSink.commit_chains`): verified when committed, so nothing is read or written again."""
    day, index = committed.day, committed.index
    return (
        _report(location, OPTIONS, day, index, committed.options, committed.overview, expected_minutes,
                committed.options_bytes, 0, ()),
        _report(location, OVERVIEW, day, index, committed.overview, committed.overview, expected_minutes,
                committed.overview_bytes, 0, ()),
    )


def _report(
    location: DataLocation, table_name: str, day: date, index: str, table: pa.Table, overview: pa.Table | None,
    expected_minutes: int, size: int, merged: int, quarantined: tuple[str, ...],
) -> SealReport:
    """What a sealed table holds: its minutes, rows, sources, and the missing legs summed over `overview`."""
    minutes = len(pc.unique(table.column("timestamp"))) if table_name == OPTIONS else table.num_rows
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
        quarantined=quarantined,
    )


@dataclass(frozen=True)
class PruneReport:
    """What `prune_raw` removed."""

    files_removed: int
    bytes_removed: int
    days: tuple[tuple[date, str], ...]
    """(day, index) pairs whose raw slices were removed."""


def prune_raw(location: DataLocation, older_than: date) -> PruneReport:
    """Remove the kept raw minute slices (`parquet/_raw/`) of sealed days before `older_than`; never a sealed file.

    Slices of a day that has no sealed file are kept, whatever their age.
    """
    removed = size = 0
    days: list[tuple[date, str]] = []
    for table_name in (OPTIONS, OVERVIEW):
        for day in location.table_days(table_name):
            if day >= older_than:
                continue
            for index in location.table_indices(table_name, day):
                names, freed = _prune_partition(location, table_name, day, index)
                removed, size = removed + len(names), size + freed
                if names and (day, index) not in days:
                    days.append((day, index))
    return PruneReport(files_removed=removed, bytes_removed=size, days=tuple(sorted(days)))


def _prune_partition(location: DataLocation, table_name: str, day: date, index: str) -> tuple[list[str], int]:
    """Remove the kept raw slices of one sealed (table, day, index); (names removed, bytes freed)."""
    with partition_lock(location, day, index):
        if not location.exists(location.sealed_file(table_name, day, index)):
            return [], 0
        raw_dir = location.raw_dir(table_name, day, index)
        names = location.minute_slice_names(raw_dir)
        size = 0
        for name in names:
            size += location.size(raw_dir / name)
            location.remove(raw_dir / name)
        return names, size
