"""Reading back what G6 stored: a day of one table, a range of days, the edge minutes of a day, a weekday master.

A day that was sealed is read from its one file; a day still being collected is read from its minute slices
(were a partition ever to hold both, a slice wins over the sealed rows of its minute). Every function takes
an opened `DataLocation` (`storage.opening.open_location`, which brought its layout up to date);
`g6_pipeline.data` is the notebook face over these. A range read takes a `RowFilter` (expiries, strikes,
times of day, timestamps), pushed down to the Parquet reader.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from upath import UPath

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import TIMESTAMP
from g6_pipeline.storage.location import SEALED_NAME, WEEKDAY_NAMES, DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    SCHEMAS,
    SORT_KEYS,
    conform,
    overlay_minutes,
    read_table,
    read_tables,
    to_frame,
)


def read_day_table(
    location: DataLocation, table_name: str, day: date, index: str, columns: Sequence[str] | None = None
) -> pa.Table:
    """One day of one index from the sealed file and/or the minute slices (a slice wins over the sealed rows).

    Raises `FileNotFoundError` naming the folder when nothing is stored for that day.
    """
    folder = location.table_dir(table_name, day, index)
    names = location.list_names(folder)
    slices = location.minute_slice_names(folder)
    sealed = SEALED_NAME in names
    if not sealed and not slices:
        raise FileNotFoundError(f"no {table_name} data for {index} on {day.isoformat()} under {folder}")
    # the timestamp says which sealed rows a slice replaces, and orders the rows: read it even when not asked
    wanted = None if columns is None else list(dict.fromkeys(["timestamp", *columns]))
    table = read_table(location, folder / SEALED_NAME, wanted) if sealed else None
    if slices:
        table = overlay_minutes(table, read_tables(location, [folder / n for n in slices], wanted))
        keys = [(k, o) for k, o in SORT_KEYS[table_name] if k in table.column_names]
        table = table.sort_by(keys)
    assert table is not None
    return table if columns is None else table.select(list(columns))


def read_edge_minute(
    location: DataLocation,
    table_name: str,
    day: date,
    index: str,
    *,
    last: bool,
    columns: Sequence[str] | None = None,
) -> pa.Table | None:
    """The first (or last) stored minute of one day of one index, reading as little as possible.

    During the day that is one minute slice; after the seal, the minute filtered out of the sealed file.
    None when nothing is stored for the day.
    """
    folder = location.table_dir(table_name, day, index)
    names = location.list_names(folder)
    slices = location.minute_slice_names(folder)
    wanted = None if columns is None else list(dict.fromkeys(["timestamp", *columns]))
    sealed = None
    if SEALED_NAME in names:
        sealed = read_table(location, folder / SEALED_NAME, wanted)
        pick = pc.max(sealed.column("timestamp")) if last else pc.min(sealed.column("timestamp"))
        sealed = sealed.filter(pc.equal(sealed.column("timestamp"), pick))
    if slices:
        edge = read_table(location, folder / (slices[-1] if last else slices[0]), wanted)
        if sealed is None or sealed.num_rows == 0:
            return edge
        # a slice re-written after the seal may be earlier or later than the sealed edge
        slice_ts = edge.column("timestamp")[0].as_py()
        sealed_ts = sealed.column("timestamp")[0].as_py()
        return edge if (slice_ts >= sealed_ts if last else slice_ts <= sealed_ts) else sealed
    return sealed


def read_chain(
    location: DataLocation,
    day: date,
    index: str,
    expiry_tag: str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One trading day of option rows of one index (`schema.OPTION_SCHEMA`), optionally one expiry tag only.

    Timestamps are tz-aware Asia/Kolkata. Raises `FileNotFoundError` when the day has no data.
    """
    wanted = None if columns is None else [*columns, *(["expiry_tag"] if expiry_tag else [])]
    table = read_day_table(location, OPTIONS, day, index, None if wanted is None else list(dict.fromkeys(wanted)))
    if expiry_tag is not None:
        table = table.filter(pc.equal(table.column("expiry_tag"), expiry_tag))
    if columns is not None:
        table = table.select(list(columns))
    return to_frame(table)


def read_overview(location: DataLocation, day: date, index: str) -> pd.DataFrame:
    """One trading day of overview rows of one index (`schema.OVERVIEW_SCHEMA`), one per collected minute."""
    return to_frame(read_day_table(location, OVERVIEW, day, index))


def _partitions(
    location: DataLocation, table_name: str, start: date, end: date, indices: Collection[str] | None
) -> list[tuple[date, str, UPath | None]]:
    """(day, index, sealed file or None when the partition must be read by `read_day_table`), in date order."""
    found: list[tuple[date, str, UPath | None]] = []
    for day in location.table_days(table_name):
        if not start <= day <= end:
            continue
        for index in location.table_indices(table_name, day):
            if indices is not None and index not in indices:
                continue
            folder = location.table_dir(table_name, day, index)
            names = location.list_names(folder)
            only_sealed = SEALED_NAME in names and not location.minute_slice_names(folder)
            found.append((day, index, folder / SEALED_NAME if only_sealed else None))
    return found


@dataclass(frozen=True)
class RowFilter:
    """Which rows a range read keeps: every bound inclusive, None for no condition.

    `expiry_tags` and `expiries` keep the rows of those expiries; `strikes` is (lowest, highest); `times` a time
    of day in Asia/Kolkata, kept on every day of the range; `timestamps` two tz-aware moments. The conditions
    reach the Parquet reader as one `pyarrow.dataset` expression, whose row-group statistics skip what the
    expiry, tag and strike conditions exclude from a sealed file (`parquet_format`).
    """

    expiry_tags: tuple[str, ...] | None = None
    expiries: tuple[date, ...] | None = None
    strikes: tuple[float | None, float | None] = (None, None)
    times: tuple[time | None, time | None] = (None, None)
    timestamps: tuple[datetime | None, datetime | None] = (None, None)

    def __post_init__(self) -> None:
        if any(t is not None and t.tzinfo is None for t in self.timestamps):
            raise ValueError(f"timestamps must be timezone-aware: {self.timestamps}")
        for name in ("strikes", "times", "timestamps"):
            low, high = getattr(self, name)
            if low is not None and high is not None and low > high:
                raise ValueError(f"{name}: the first bound {low} is after the second {high}")

    def columns(self) -> list[str]:
        """The columns its conditions read."""
        named = {
            "expiry_tag": self.expiry_tags is not None,
            "expiry": self.expiries is not None,
            "strike": self.strikes != (None, None),
            "timestamp": self.times != (None, None) or self.timestamps != (None, None),
        }
        return [column for column, used in named.items() if used]

    def days(self, start: date, end: date) -> tuple[date, date]:
        """The days from `start` to `end` that `timestamps` leaves (in Asia/Kolkata)."""
        low, high = self.timestamps
        if low is not None:
            start = max(start, low.astimezone(IST).date())
        if high is not None:
            end = min(end, high.astimezone(IST).date())
        return start, end

    def expression(self) -> pc.Expression | None:
        """The conditions as one dataset expression (None when there are none)."""
        terms = []
        if self.expiry_tags is not None:
            terms.append(pc.field("expiry_tag").isin(pa.array(self.expiry_tags, pa.string())))
        if self.expiries is not None:
            terms.append(pc.field("expiry").isin(pa.array(self.expiries, pa.date32())))
        terms += _between(pc.field("strike"), self.strikes, pa.float64())
        terms += _between(pc.field("timestamp").cast(TIME_OF_DAY), self.times, TIME_OF_DAY)
        terms += _between(pc.field("timestamp"), self.timestamps, TIMESTAMP)
        return functools.reduce(operator.and_, terms) if terms else None


TIME_OF_DAY = pa.time32("s")
NO_FILTER = RowFilter()


def _between(value: pc.Expression, bounds: tuple[Any, Any], kind: pa.DataType) -> list[pc.Expression]:
    low, high = bounds
    return [
        *([value >= pa.scalar(low, kind)] if low is not None else []),
        *([value <= pa.scalar(high, kind)] if high is not None else []),
    ]


def read_range(
    location: DataLocation,
    table_name: str,
    start: date,
    end: date,
    indices: Collection[str] | None = None,
    columns: Sequence[str] | None = None,
    rows: RowFilter = NO_FILTER,
) -> pa.Table:
    """The rows of `read_day_table` for every stored day from `start` to `end` (inclusive) and index that
    `rows` keeps.

    Days in date order, within a day the indices in name order, each partition in `read_day_table`'s order.
    Sealed days are read as one `pyarrow.dataset` over their files, with the column projection and the
    conditions of `rows` pushed down to the Parquet reader; a day still being collected is read from its
    slices. Raises `ValueError` when a condition names a column the table does not have.
    """
    schema = SCHEMAS[table_name]
    wanted = list(schema.names) if columns is None else list(columns)
    absent = [c for c in [*wanted, *rows.columns()] if c not in schema.names]
    if absent:
        raise ValueError(f"the {table_name} table has no column {', '.join(map(repr, absent))}")
    where = rows.expression()
    pieces: list[pa.Table] = []
    sealed: list[UPath] = []

    def flush() -> None:
        if sealed:
            pieces.append(_read_sealed(location, schema, sealed, wanted, where))
            sealed.clear()

    for day, index, path in _partitions(location, table_name, *rows.days(start, end), indices):
        if path is not None:
            sealed.append(path)
            continue
        flush()
        table = read_day_table(location, table_name, day, index, list(dict.fromkeys([*wanted, *rows.columns()])))
        pieces.append((table if where is None else table.filter(where)).select(wanted))
    flush()
    if not pieces:
        return schema.empty_table().select(wanted)
    return pa.concat_tables(pieces)


def _read_sealed(
    location: DataLocation, schema: pa.Schema, paths: Sequence[UPath], columns: list[str], where: pc.Expression | None
) -> pa.Table:
    """The rows of sealed files that `where` keeps: one dataset scan, files in parallel, row groups skipped by
    their statistics; string columns are decoded from the dictionaries they are stored as (the fastest way
    pyarrow has to build them)."""
    strings = [c for c in columns if pa.types.is_string(schema.field(c).type)]
    fmt = pads.ParquetFileFormat(read_options=pads.ParquetReadOptions(dictionary_columns=strings))
    dataset = pads.dataset([p.path for p in paths], schema=schema, format=fmt, filesystem=location.arrow_filesystem())
    return conform(dataset.to_table(columns=columns, filter=where))


def weekday_name(weekday: str | int) -> str:
    """The master file name of a weekday given as a name (`monday`, `MONDAY`) or 0-6 (Monday = 0)."""
    name = WEEKDAY_NAMES[weekday] if isinstance(weekday, int) else str(weekday).upper()
    if name not in WEEKDAY_NAMES:
        raise ValueError(f"not a weekday: {weekday!r}")
    return name


def read_weekday_master(
    location: DataLocation, index: str, expiry_tag: str, offset: int, weekday: str | int
) -> pd.DataFrame:
    """The weekday master of one series; `weekday` as `weekday_name` takes it. `FileNotFoundError` if absent."""
    path = location.weekday_master_file(index, expiry_tag, int(offset), weekday_name(weekday))
    if not location.exists(path):
        raise FileNotFoundError(f"no weekday master at {path}")
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype={"timestamp": str, "index": str, "expiry_tag": str})
