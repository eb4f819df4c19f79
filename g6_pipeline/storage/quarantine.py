"""Quarantine: a minute slice that cannot be read is moved out of the partition tree, never deleted.

Cannot be read: not a Parquet file (cut by a crash, a disk error), or a Parquet file of a foreign schema (a
column the table requires missing or of another type; a file that lacks only the columns added since it was
written, `schema.ADDED_COLUMNS`, is read with them null and stays).

A minute is one unit: its option slice and its overview slice are written together, and the overview row
summarises the option rows. When either slice of a minute cannot be read (a file cut by a crash, a disk
error), both move to `DataLocation.quarantine_dir`, so the day holds no half-minute, every reader of the lake
and the seal go on with the rest of the day, and the minute is a gap that gap repair can refill. The files stay
in the quarantine folder for inspection; nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from upath import UPath

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, StorageError, foreign_schema, read_table
from g6_pipeline.storage.writer import partition_lock

TABLES = (OPTIONS, OVERVIEW)


@dataclass(frozen=True)
class Quarantined:
    """One unreadable slice moved aside: where it was, where it is now, and why it could not be read."""

    path: str
    moved_to: str
    reason: str

    def describe(self) -> str:
        """One line naming the file and why it was moved."""
        return f"{self.path}: {self.reason} (moved to {self.moved_to})"


def quarantine_unreadable(location: DataLocation, day: date, index: str) -> list[Quarantined]:
    """Move every minute of (day, index) with an unreadable slice, both its slices, to the quarantine folder.

    The slices are read without the partition's lock; only the unreadable ones, read again under the lock (a
    minute written meanwhile replaces its slice), are moved while holding it. Returns the unreadable slices
    (an empty list when every slice reads).
    """
    suspects = {table: _unreadable(location, table, day, index) for table in TABLES}
    if not any(suspects.values()):
        return []
    with partition_lock(location, day, index):
        broken = {table: _unreadable(location, table, day, index, names=list(found)) for table, found in
                  suspects.items()}
        names = sorted({name for found in broken.values() for name in found})
        moved: list[Quarantined] = []
        for table in TABLES:
            folder, target = location.table_dir(table, day, index), location.quarantine_dir(table, day, index)
            for name in names:
                source = folder / name
                if not location.exists(source):
                    continue
                location.move(source, target / name)
                if name in broken[table]:
                    moved.append(Quarantined(str(source), str(target / name), broken[table][name]))
        return moved


def quarantined_files(location: DataLocation, day: date, index: str) -> list[str]:
    """The slices of (day, index) held in quarantine, as paths."""
    return [str(folder / n) for table in TABLES
            for folder in [location.quarantine_dir(table, day, index)] for n in location.list_names(folder)]


def _unreadable(
    location: DataLocation, table: str, day: date, index: str, names: list[str] | None = None
) -> dict[str, str]:
    """The minute slices of one table (all, or those `names`) that cannot be read, by name, with the reason."""
    folder = location.table_dir(table, day, index)
    found: dict[str, str] = {}
    for name in location.minute_slice_names(folder) if names is None else names:
        if not location.exists(folder / name):
            continue
        reason = _read_error(location, folder / name, table)
        if reason is not None:
            found[name] = reason
    return found


def _read_error(location: DataLocation, path: UPath, table_name: str) -> str | None:
    """Why a slice cannot be read as one of the table's slices (unreadable, or of a foreign schema), else None."""
    try:
        table = read_table(location, path)
    except (StorageError, OSError) as exc:
        return str(exc).removeprefix(f"{path}: ")
    return foreign_schema(table.schema, table_name)
