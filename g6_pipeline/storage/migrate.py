"""The one-time move of a data directory from the first Parquet layout to the current one.

First layout (one Hive tree partitioned by `date=` and `index=`, with the index also a column of the files,
and the kept raw slices inside the partitions):

    parquet/<table>/date=D/index=<INDEX>/minute=HHMM.parquet | day.parquet | _raw/minute=HHMM.parquet

Current layout (`storage.location`): `parquet/<table>/date=D/<INDEX>/HHMM.parquet | day.parquet`, the kept
raw slices under `parquet/_raw/<table>/D/<INDEX>/HHMM.parquet`. The files' content is the same in both, so
the move only renames files, one at a time, each rename atomic, one partition at a time under its writer lock: a crash leaves every file in the old or the
new place, and running the move again finishes it. A file already in its new place (written after an
upgrade) is newer and is kept. This module only moves files; `storage.parquet.migrate_layout` runs it and
then folds the partitions that hold both a sealed file and minute slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from upath import UPath

from g6_pipeline.storage.location import RAW_DIR, SEALED_NAME, DataLocation, is_minute_slice_name
from g6_pipeline.storage.writer import partition_lock

OLD_INDEX_PREFIX = "index="
OLD_MINUTE_PREFIX = "minute="
TABLES = ("options", "overview")


@dataclass(frozen=True)
class LayoutMove:
    """What one run of `move_old_layout` did."""

    files_moved: int
    files_dropped: int
    """Old files whose new place already held a (newer) file."""
    partitions: tuple[tuple[str, date, str], ...]
    """(table, day, index) of every first-layout folder moved."""


def old_partitions(location: DataLocation) -> list[tuple[str, date, str]]:
    """(table, day, index) of every folder of the first layout still present."""
    found = []
    for table in TABLES:
        for day in location.table_days(table):
            for name in location.list_names(location.day_dir(table, day)):
                if name.startswith(OLD_INDEX_PREFIX):
                    found.append((table, day, name.removeprefix(OLD_INDEX_PREFIX)))
    return found


def _old_slices(location: DataLocation, folder: UPath) -> list[str]:
    names = location.list_names(folder)
    return [n for n in names if n.startswith(OLD_MINUTE_PREFIX) and is_minute_slice_name(n[len(OLD_MINUTE_PREFIX) :])]


def _place(location: DataLocation, source: UPath, target: UPath) -> bool:
    """Move `source` to `target` unless the target exists (then the old file is dropped); True if moved."""
    if location.exists(target):
        location.remove(source)
        return False
    location.move(source, target)
    return True


def _move_partition(location: DataLocation, table: str, day: date, index: str) -> tuple[int, int]:
    """Move one first-layout folder into the current layout; returns (files moved, files dropped)."""
    old = location.day_dir(table, day) / f"{OLD_INDEX_PREFIX}{index}"
    old_raw = old / RAW_DIR
    moves = [
        (old_raw / n, location.raw_dir(table, day, index) / n.removeprefix(OLD_MINUTE_PREFIX))
        for n in _old_slices(location, old_raw)
    ]
    moves += [
        (old / n, location.table_dir(table, day, index) / n.removeprefix(OLD_MINUTE_PREFIX))
        for n in _old_slices(location, old)
    ]
    if SEALED_NAME in location.list_names(old):
        moves.append((old / SEALED_NAME, location.sealed_file(table, day, index)))
    moved = sum(_place(location, source, target) for source, target in moves)
    location.remove_empty_dir(old_raw)
    location.remove_empty_dir(old)
    return moved, len(moves) - moved


def move_old_layout(location: DataLocation) -> LayoutMove:
    """Move every first-layout folder into the current layout (idempotent; nothing to do → all zero)."""
    partitions = old_partitions(location)
    moved = dropped = 0
    for table, day, index in partitions:
        with partition_lock(location, day, index):
            one_moved, one_dropped = _move_partition(location, table, day, index)
        moved += one_moved
        dropped += one_dropped
    return LayoutMove(files_moved=moved, files_dropped=dropped, partitions=tuple(partitions))


def partitions_with_slices_and_sealed(location: DataLocation) -> list[tuple[str, date, str]]:
    """(table, day, index) of every partition holding both a sealed file and minute slices."""
    found = []
    for table in TABLES:
        for day in location.table_days(table):
            for index in location.table_indices(table, day):
                names = location.list_names(location.table_dir(table, day, index))
                if SEALED_NAME in names and any(is_minute_slice_name(n) for n in names):
                    found.append((table, day, index))
    return found
