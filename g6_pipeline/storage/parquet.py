"""The primary store: option rows and overview rows as Parquet, laid out by trading day and index.

During the session every minute is one slice, `parquet/<table>/date=YYYY-MM-DD/<INDEX>/HHMM.parquet`
(re-writing a minute replaces its slice); the daily seal (`storage.seal`) compacts them into `day.parquet` in
the same folder through `commit_day`, which moves the slices out of the tree. A minute written into a day
that is already sealed goes straight into its sealed file, so a partition never holds both and every reader
of the tree sees each row once. Both tables carry exactly `schema.OPTION_SCHEMA` / `schema.OVERVIEW_SCHEMA`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from upath import UPath

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.schema import ADDED_COLUMNS, OPTION_SCHEMA, OVERVIEW_SCHEMA, TIMESTAMP, unknown_words
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.migrate import (
    LayoutMove,
    move_old_layout,
    partitions_with_slices_and_sealed,
)
from g6_pipeline.storage.minute import MinuteJournal, write_alone, write_each
from g6_pipeline.storage.parquet_format import parquet_bytes
from g6_pipeline.storage.writer import partition_lock

OPTIONS = "options"
OVERVIEW = "overview"
SCHEMAS: dict[str, pa.Schema] = {OPTIONS: OPTION_SCHEMA, OVERVIEW: OVERVIEW_SCHEMA}
ROW_KEY: tuple[str, ...] = ("timestamp", "expiry_tag", "expiry", "strike", "side")
"""What identifies an option row (the contract by its terms: imported rows have no tradingsymbol). An instrument
serves two tags when their expiries coincide (next_week and this_month in a month's last week), so the tag is
part of the key."""
SORT_KEYS: dict[str, list[tuple[str, str]]] = {
    OPTIONS: [
        ("expiry", "ascending"),
        ("expiry_tag", "ascending"),
        ("strike", "ascending"),
        ("side", "ascending"),
        ("timestamp", "ascending"),
    ],
    OVERVIEW: [("timestamp", "ascending")],
}
"""The order of a sealed file. Options by contract, each contract's minutes together: the reads that select
(an index's file, then) an expiry or tag and a strike range find their rows in a few row groups, a contract's
day is one run, and its smooth price, IV and Greek series compress best. The overview by minute."""
ROW_GROUP_KEYS: dict[str, tuple[str, ...]] = {OPTIONS: ("expiry", "expiry_tag"), OVERVIEW: ()}
"""A sealed file's row groups never mix two values of these (`parquet_format.row_groups`)."""


LAYOUT_VERSION = 2


class StorageError(ValueError):
    """Data that cannot be stored as it is (wrong columns, types or day); the message says what and where."""


class SealError(RuntimeError):
    """A day could not be sealed (nothing stored, or the written file failed verification)."""


def options_table(frame: pd.DataFrame) -> pa.Table:
    """An option frame as a table of exactly `OPTION_SCHEMA` (raises `StorageError` on missing/bad columns)."""
    return _to_table(frame, OPTION_SCHEMA, "options")


def overview_table(rows: Sequence[dict[str, Any]] | pd.DataFrame) -> pa.Table:
    """Overview rows (dicts keyed by `OVERVIEW_COLUMNS`, or a frame) as a table of exactly `OVERVIEW_SCHEMA`."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return _to_table(frame, OVERVIEW_SCHEMA, "overview")


def _to_table(frame: pd.DataFrame, schema: pa.Schema, what: str) -> pa.Table:
    absent = [c for c in schema.names if c not in frame.columns]
    if absent:
        raise StorageError(f"{what} rows lack columns {absent}")
    stamps = frame["timestamp"]
    if len(frame) and getattr(stamps.dt, "tz", None) is None:
        raise StorageError(f"{what} timestamps must be timezone-aware")
    try:
        table = pa.Table.from_pandas(frame[list(schema.names)], schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise StorageError(f"{what} rows do not fit the schema: {exc}") from None
    return table.replace_schema_metadata(None)


def table_bytes(table: pa.Table, compression: str = "zstd") -> bytes:
    """Serialise a table (a minute slice) as one Parquet file in memory, in G6's format (`parquet_format`)."""
    return parquet_bytes(table, compression)


def read_table(location: DataLocation, path: UPath, columns: Sequence[str] | None = None) -> pa.Table:
    """Read one Parquet file written by G6 (optionally only some columns; added columns it predates read null)."""
    data = location.read_bytes(path)
    try:
        present = pq.read_schema(pa.BufferReader(data)).names if columns is not None else []
        asked = None if columns is None else [c for c in columns if c in present or c not in _ADDED_TYPES]
        table = pq.read_table(pa.BufferReader(data), columns=asked)
    except (pa.ArrowException, OSError) as exc:  # name the file: Arrow only says '<Buffer>'
        raise StorageError(f"{path}: unreadable Parquet file: {exc}") from exc
    return conform(table, columns)


def read_tables(
    location: DataLocation, paths: Sequence[UPath], columns: Sequence[str] | None = None
) -> pa.Table:
    """Read many Parquet files of one schema into one table (in the order given, files read in parallel).

    Files written before a column was added (`schema.ADDED_COLUMNS`) read it as null beside newer ones."""
    dataset = pads.dataset([p.path for p in paths], format="parquet", filesystem=location.arrow_filesystem())
    schemas = [f.physical_schema for f in dataset.get_fragments()]
    if any(s.names != schemas[0].names for s in schemas):
        dataset = pads.dataset([p.path for p in paths], schema=pa.unify_schemas(schemas), format="parquet",
                               filesystem=location.arrow_filesystem())
    names = dataset.schema.names
    asked = None if columns is None else [c for c in columns if c in names or c not in _ADDED_TYPES]
    return conform(dataset.to_table(columns=asked), columns)


def overlay_minutes(base: pa.Table | None, fresh: pa.Table) -> pa.Table:
    """`fresh` laid over `base`: every minute present in `fresh` replaces that minute's rows of `base`."""
    if base is None or base.num_rows == 0:
        return fresh
    replaced = pc.is_in(base.column("timestamp"), value_set=pc.unique(fresh.column("timestamp")))
    return pa.concat_tables([base.filter(pc.invert(replaced)), fresh.cast(base.schema)])


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A stored table as pandas, with dtypes that do not depend on the rows: booleans (`stale`, null where
    unknown) are nullable booleans, so a day with a null has the dtype of a day without."""
    return table.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)


def foreign_schema(schema: pa.Schema, table_name: str) -> str | None:
    """Why a file of `schema` is not one of the table's files (a required column missing or of another type),
    else None. A file written before a column was added (`schema.ADDED_COLUMNS`) lacks only that: it is not
    foreign; timestamps of another unit are Parquet's own change (`conform`)."""
    expected, added = SCHEMAS[table_name], set(ADDED_COLUMNS[table_name])
    missing = [name for name in expected.names if name not in schema.names and name not in added]
    wrong = []
    for want in expected:
        if want.name not in schema.names:
            continue
        have = schema.field(want.name).type
        if have != want.type and not (pa.types.is_timestamp(have) and pa.types.is_timestamp(want.type)):
            wrong.append(f"{want.name} is {have}, not {want.type}")
    if not missing and not wrong:
        return None
    said = ([f"lacks {', '.join(missing[:5])}" + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")]
            if missing else []) + wrong[:3]
    return f"foreign schema, not the {table_name} schema: {'; '.join(said)}"


_ADDED_TYPES: dict[str, pa.DataType] = {
    name: SCHEMAS[table].field(name).type for table, names in ADDED_COLUMNS.items() for name in names
}


def conform(table: pa.Table, columns: Sequence[str] | None = None) -> pa.Table:
    """Undo Parquet's one type change (second timestamps are stored as milliseconds) and evolve the schema: an
    added column (`schema.ADDED_COLUMNS`) absent from a file written before it is null, in `columns` order when
    asked for, else at the end of a table that has every other column of its schema."""
    position = table.schema.get_field_index("timestamp")
    if position >= 0 and table.schema.field(position).type != TIMESTAMP:
        table = table.set_column(position, "timestamp", table.column(position).cast(TIMESTAMP))
    names = set(table.column_names)
    if columns is not None:
        absent = [c for c in columns if c not in names and c in _ADDED_TYPES]
    else:
        absent = []
        for table_name, added in ADDED_COLUMNS.items():
            if set(SCHEMAS[table_name].names) - set(added) <= names:
                absent = [c for c in SCHEMAS[table_name].names if c not in names]
    for name in absent:
        table = table.append_column(pa.field(name, _ADDED_TYPES[name]), pa.nulls(table.num_rows, _ADDED_TYPES[name]))
    return table if columns is None or not absent else table.select(list(columns))


class ParquetSink:
    """Writes each minute's chains as Parquet slices (implements the `Sink` protocol)."""

    name = "parquet"

    def __init__(self, location: DataLocation, compression: str = "zstd") -> None:
        self.location = location
        self.compression = compression

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute: an options slice and an overview slice per chain, both or neither; failures are
        reported, not raised."""
        return write_each(self.location, self, chains)

    def write_minute(self, chain: EnrichedChain, journal: MinuteJournal | None = None) -> tuple[int, int]:
        """Write one chain's two slices, options then overview, each change noted in `journal`; returns (option
        rows, bytes). Raises on bad data or I/O errors (alone, without a journal: after undoing both)."""
        if journal is None:
            return write_alone(self.location, self, chain)
        minute = pd.Timestamp(chain.timestamp).tz_convert(MARKET_TZ_NAME)
        day = minute.date()
        options = options_table(chain.options)
        _check_one_minute(options, minute, chain.index)
        overview = overview_table([chain.overview])
        size = self._write_slice(OPTIONS, day, chain.index, minute, options, journal)
        size += self._write_slice(OVERVIEW, day, chain.index, minute, overview, journal)
        return options.num_rows, size

    def _write_slice(
        self, table_name: str, day: date, index: str, minute: pd.Timestamp, table: pa.Table, journal: MinuteJournal
    ) -> int:
        """One minute's slice; a minute of a day already sealed goes into the sealed file, the slice kept raw."""
        loc = self.location
        data = table_bytes(table, self.compression)
        path = loc.minute_slice(table_name, day, index, minute)
        sealed = loc.sealed_file(table_name, day, index)
        if not loc.exists(sealed):
            journal.replacing(path)
            return loc.write_atomic(path, data)
        merged = overlay_minutes(read_table(loc, sealed), table)
        raw = loc.raw_dir(table_name, day, index) / path.name
        for changed in (loc.staged_file(table_name, day, index), sealed, raw):
            journal.replacing(changed)
        journal.current = sealed
        _, size, _ = commit_day(loc, table_name, day, index, merged, self.compression)
        journal.current = raw
        return size + loc.write_atomic(raw, data)

    def write_day(self, chains: Sequence[EnrichedChain]) -> tuple[int, int]:
        """Write the chains of one index for one day directly as the sealed files; returns (rows, bytes)."""
        committed = self.commit_chains(chains)
        return committed.options.num_rows, committed.options_bytes + committed.overview_bytes

    def commit_chains(self, chains: Sequence[EnrichedChain]) -> CommittedDay:
        """Write the chains of one index for one day as the sealed files; both tables as committed."""
        if not chains:
            raise StorageError("write_day needs at least one chain")
        options = pd.concat([c.options for c in chains], ignore_index=True)
        overview = pd.DataFrame([c.overview for c in chains])
        return self.commit_day_frames(options, overview)

    def write_day_frames(self, options: pd.DataFrame, overview: pd.DataFrame) -> tuple[int, int]:
        """Write a whole day of one index from frames (a vectorised backfill) as its sealed files."""
        committed = self.commit_day_frames(options, overview)
        return committed.options.num_rows, committed.options_bytes + committed.overview_bytes

    def commit_day_frames(self, options: pd.DataFrame, overview: pd.DataFrame) -> CommittedDay:
        """Write a whole day of one index from frames as its sealed files; both tables as committed."""
        table = options_table(options)
        over = overview_table(overview)
        index, day = _single_day_and_index(table, "options")
        if _single_day_and_index(over, "overview") != (index, day):
            raise StorageError(f"overview rows are not of {index} on {day}")
        committed, size, _ = commit_day(self.location, OPTIONS, day, index, table, self.compression)
        committed_over, over_size, _ = commit_day(self.location, OVERVIEW, day, index, over, self.compression)
        return CommittedDay(day, index, committed, size, committed_over, over_size)


@dataclass(frozen=True)
class CommittedDay:
    """A whole day of one index as committed: both tables as read back from disk and verified, their file sizes."""

    day: date
    index: str
    options: pa.Table
    options_bytes: int
    overview: pa.Table
    overview_bytes: int


def verify_table(table: pa.Table, table_name: str, path: object, expected_rows: int) -> pa.Table:
    """`table` if it has the table's schema, `expected_rows` rows and unique row keys, else `SealError`."""
    if not table.schema.equals(SCHEMAS[table_name], check_metadata=False):
        raise SealError(f"{path}: schema differs from the {table_name} schema")
    if table.num_rows != expected_rows:
        raise SealError(f"{path}: read back {table.num_rows} rows, wrote {expected_rows}")
    unknown = unknown_words(table)
    if unknown:
        said = "; ".join(f"{column}: {', '.join(values[:5])}" for column, values in unknown.items())
        raise SealError(f"{path}: values outside the schema's vocabularies ({said})")
    key = list(ROW_KEY) if table_name == OPTIONS else ["timestamp"]
    unique = table.group_by(key).aggregate([]).num_rows
    if unique != table.num_rows:
        raise SealError(f"{path}: {table.num_rows - unique} duplicate ({', '.join(key)}) rows")
    return table


def commit_day(
    location: DataLocation, table_name: str, day: date, index: str, table: pa.Table, compression: str = "zstd"
) -> tuple[pa.Table, int, int]:
    """Make `table`, with the day's minute slices laid over it, the sealed file of (day, index).

    The merged day is verified in memory, written to the staging area (`DataLocation.staged_file`), read back
    and verified again; then the slices move from the partition to the kept raw slices and the staged file
    is renamed into the partition. A crash leaves the partition with its slices (all or some) and the staged
    file; committing again, or `migrate_layout`, finishes it. Returns (verified table, file size, slices).
    """
    folder = location.table_dir(table_name, day, index)
    slices = [folder / n for n in location.minute_slice_names(folder)]
    if slices:
        table = overlay_minutes(table, read_tables(location, slices))
    data = sealed_bytes(table_name, table, compression)
    staged = location.staged_file(table_name, day, index)
    verify_table(conform(pq.read_table(pa.BufferReader(data))), table_name, staged, table.num_rows)
    location.write_atomic(staged, data)
    verified = verify_table(read_table(location, staged), table_name, staged, table.num_rows)
    raw = location.raw_dir(table_name, day, index)
    for path in slices:
        location.move(path, raw / path.name)
    location.move(staged, location.sealed_file(table_name, day, index))
    return verified, len(data), len(slices)


def sealed_bytes(table_name: str, table: pa.Table, compression: str = "zstd") -> bytes:
    """A day's table sorted in the sealed order and serialised in row groups a filter can skip."""
    keys = SORT_KEYS[table_name]
    return parquet_bytes(table.sort_by(keys), compression, keys, ROW_GROUP_KEYS[table_name])


def _check_one_minute(table: pa.Table, minute: pd.Timestamp, index: str) -> None:
    if table.num_rows == 0:
        return
    stamps = pd.DatetimeIndex(table.column("timestamp").to_pandas()).unique()
    if len(stamps) != 1 or stamps[0] != minute:
        raise StorageError(
            f"{index}: option rows carry timestamps {list(stamps)[:3]}, expected only {minute}"
        )
    indices = set(table.column("index").to_pylist())
    if indices != {index}:
        raise StorageError(f"{index}: option rows name indices {sorted(map(str, indices))}")


def _single_day_and_index(table: pa.Table, what: str) -> tuple[str, date]:
    if table.num_rows == 0:
        raise StorageError(f"{what}: no rows to write")
    indices = set(table.column("index").to_pylist())
    stamps = pd.DatetimeIndex(table.column("timestamp").to_pandas()).tz_convert(MARKET_TZ_NAME)
    days = set(stamps.date)
    if len(indices) != 1 or len(days) != 1:
        raise StorageError(
            f"{what}: a day file holds one index and one day, got {sorted(map(str, indices))} on {sorted(days)}"
        )
    return str(indices.pop()), days.pop()


@dataclass(frozen=True)
class MigrationReport:
    """What `migrate_layout` did to a data directory."""

    moved: LayoutMove
    folded: tuple[tuple[str, date, str], ...]
    """(table, day, index) whose minute slices were folded into the sealed file."""
    resumed: tuple[tuple[str, date, str], ...]
    """(table, day, index) whose interrupted commit was finished."""

    @property
    def changed(self) -> bool:
        """Whether anything was moved, folded or finished."""
        return bool(self.moved.files_moved or self.moved.files_dropped or self.folded or self.resumed)


def migrate_layout(location: DataLocation) -> MigrationReport:
    """Bring a data directory to the current Parquet layout; idempotent and safe to re-run after a crash.

    Moves the first layout's files (`storage.migrate`), finishes commits a crash interrupted (their staged
    file wins over the partition), folds the partitions that hold both a sealed file and minute slices (the
    slice wins, as `load_chain` read it), and writes the layout marker. Each partition is moved, finished or
    folded under its own writer lock, so the minute collection waits for none of it.
    """
    moved = move_old_layout(location)
    resumed = []
    for table_name in (OPTIONS, OVERVIEW):
        for day, index in location.staged_partitions(table_name):
            with partition_lock(location, day, index):
                staged = location.staged_file(table_name, day, index)
                if not location.exists(staged):  # finished by another writer meanwhile
                    continue
                commit_day(location, table_name, day, index, read_table(location, staged))
            resumed.append((table_name, day, index))
    folded = partitions_with_slices_and_sealed(location)
    for table_name, day, index in folded:
        with partition_lock(location, day, index):
            sealed = location.table_dir(table_name, day, index) / SEALED_NAME
            commit_day(location, table_name, day, index, read_table(location, sealed))
    if location.exists(location.parquet_root()):
        location.write_atomic(location.layout_marker(), json.dumps({"parquet_layout": LAYOUT_VERSION}).encode())
    return MigrationReport(moved=moved, folded=tuple(folded), resumed=tuple(resumed))
