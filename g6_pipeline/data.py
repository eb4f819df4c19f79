"""Read G6's data from a notebook: a day's option chain, its overview, and the weekday master.

    >>> from g6_pipeline.data import load_chain
    >>> chain = load_chain("2026-11-23", "NIFTY", expiry_tag="this_week", columns=["timestamp", "strike", "iv"])

`data_dir` defaults to the configured data directory (`G6_DATA_DIR`, else `data`); it may be a local folder
or an fsspec URL. A day that was sealed is read from its one file (plus any minute re-written after the
seal); a day still being collected is read from its minute slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from g6_pipeline.storage.location import SEALED_NAME, WEEKDAY_NAMES, DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, SORT_KEYS, read_table, read_tables


def _location(data_dir: str | None) -> DataLocation:
    if data_dir is None:
        from g6_pipeline.settings import load_settings

        data_dir = load_settings().settings.data_dir
    return DataLocation(data_dir)


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def read_day_table(
    location: DataLocation, table_name: str, day: date, index: str, columns: Sequence[str] | None = None
) -> pa.Table:
    """One day of one index from the sealed file and/or the minute slices (a slice wins over the sealed rows).

    Raises `FileNotFoundError` naming the folder when nothing is stored for that day.
    """
    folder = location.table_dir(table_name, day, index)
    names = location.list_names(folder)
    slices = [n for n in names if n.startswith("minute=") and n.endswith(".parquet")]
    parts: list[pa.Table] = []
    if SEALED_NAME in names:
        parts.append(read_table(location, folder / SEALED_NAME, columns))
    if not parts and not slices:
        raise FileNotFoundError(f"no {table_name} data for {index} on {day.isoformat()} under {folder}")
    if slices:
        new = read_tables(location, [folder / n for n in slices], columns)
        if parts and "timestamp" in new.column_names:
            stale = pc.is_in(parts[0].column("timestamp"), value_set=pc.unique(new.column("timestamp")))
            parts[0] = parts[0].filter(pc.invert(stale))
        parts.append(new.cast(parts[0].schema) if parts else new)
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    keys = [(k, o) for k, o in SORT_KEYS[table_name] if k in table.column_names]
    return table.sort_by(keys) if slices and keys else table


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
    slices = sorted(n for n in names if n.startswith("minute=") and n.endswith(".parquet"))
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


def load_chain(
    date: date | str,
    index: str,
    expiry_tag: str | None = None,
    columns: Sequence[str] | None = None,
    data_dir: str | None = None,
) -> pd.DataFrame:
    """One trading day of option rows of one index (`schema.OPTION_SCHEMA`), optionally one expiry tag only.

    Timestamps are tz-aware Asia/Kolkata. Raises `FileNotFoundError` when the day has no data.
    """
    location = _location(data_dir)
    wanted = (
        None if columns is None else list(dict.fromkeys([*columns, *(["expiry_tag"] if expiry_tag else [])]))
    )
    table = read_day_table(location, OPTIONS, _day(date), index, wanted)
    if expiry_tag is not None:
        table = table.filter(pc.equal(table.column("expiry_tag"), expiry_tag))
    if columns is not None:
        table = table.select(list(columns))
    return table.to_pandas()


def load_overview(date: date | str, index: str, data_dir: str | None = None) -> pd.DataFrame:
    """One trading day of overview rows of one index (`schema.OVERVIEW_SCHEMA`), one per collected minute."""
    return read_day_table(_location(data_dir), OVERVIEW, _day(date), index).to_pandas()


def load_weekday_master(
    index: str, expiry_tag: str, offset: int, weekday: str | int, data_dir: str | None = None
) -> pd.DataFrame:
    """The weekday master of one series: `weekday` is a name (`monday`, `MONDAY`) or 0-6 (Monday = 0)."""
    name = WEEKDAY_NAMES[weekday] if isinstance(weekday, int) else str(weekday).upper()
    if name not in WEEKDAY_NAMES:
        raise ValueError(f"not a weekday: {weekday!r}")
    location = _location(data_dir)
    path = location.weekday_master_file(index, expiry_tag, int(offset), name)
    if not location.exists(path):
        raise FileNotFoundError(f"no weekday master at {path}")
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype={"timestamp": str, "index": str, "expiry_tag": str})
