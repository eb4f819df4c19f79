"""Reading back what G6 stored: a day of one table, a range of days, the edge minutes of a day, a weekday master.

A day that was sealed is read from its one file; a day still being collected is read from its minute slices
(were a partition ever to hold both, a slice wins over the sealed rows of its minute). Every function takes
an opened `DataLocation` (`storage.opening.open_location`, which brought its layout up to date);
`g6_pipeline.data` is the notebook face over these.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from upath import UPath

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


def read_range(
    location: DataLocation,
    table_name: str,
    start: date,
    end: date,
    indices: Collection[str] | None = None,
    columns: Sequence[str] | None = None,
    expiry_tags: Collection[str] | None = None,
) -> pa.Table:
    """The rows of `read_day_table` for every stored day from `start` to `end` (inclusive) and index.

    Days in date order, within a day the indices in name order, each partition in `read_day_table`'s order.
    Sealed days are read as one `pyarrow.dataset` over their files, with the column projection and the
    expiry-tag filter pushed down to the Parquet reader; a day still being collected is read from its slices.
    """
    schema = SCHEMAS[table_name]
    wanted = list(schema.names) if columns is None else list(columns)
    where = None if expiry_tags is None else pc.field("expiry_tag").isin(list(expiry_tags))
    pieces: list[pa.Table] = []
    sealed: list[UPath] = []

    def flush() -> None:
        if sealed:
            dataset = pads.dataset(
                [p.path for p in sealed], schema=schema, format="parquet", filesystem=location.arrow_filesystem()
            )
            pieces.append(conform(dataset.to_table(columns=wanted, filter=where)))
            sealed.clear()

    for day, index, path in _partitions(location, table_name, start, end, indices):
        if path is not None:
            sealed.append(path)
            continue
        flush()
        asked = list(dict.fromkeys([*wanted, *(["expiry_tag"] if where is not None else [])]))
        table = read_day_table(location, table_name, day, index, asked)
        pieces.append((table if where is None else table.filter(where)).select(wanted))
    flush()
    if not pieces:
        return schema.empty_table().select(wanted)
    return pa.concat_tables(pieces)


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
