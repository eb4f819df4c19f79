"""Read G6's data from a notebook: a day's option chain, its overview, the weekday master, Kite's instrument lists.

    >>> from g6_pipeline.data import load_chain
    >>> chain = load_chain("2026-11-23", "NIFTY", expiry_tag="this_week", columns=["timestamp", "strike", "iv"])
    >>> month = load_chain_range("2026-11-02", "2026-11-27", indices=["NIFTY"], columns=["timestamp", "iv"])

`data_dir` defaults to the configured data directory (`G6_DATA_DIR`, else `data`); it may be a local folder
or an fsspec URL. A day that was sealed is read from its one file; a day still being collected is read from
its minute slices. The readers are those of
`g6_pipeline.storage.reader`, which code inside G6 calls with its `DataLocation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from g6_pipeline.storage import reader
from g6_pipeline.storage.instrument_archive import load_archived_dump
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.opening import open_location
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, to_frame


def _location(data_dir: str | None) -> DataLocation:
    if data_dir is None:
        from g6_pipeline.settings import load_settings

        data_dir = load_settings().settings.data_dir
    return open_location(data_dir)


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


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
    return reader.read_chain(_location(data_dir), _day(date), index, expiry_tag, columns)


def load_overview(date: date | str, index: str, data_dir: str | None = None) -> pd.DataFrame:
    """One trading day of overview rows of one index (`schema.OVERVIEW_SCHEMA`), one per collected minute."""
    return reader.read_overview(_location(data_dir), _day(date), index)


def load_weekday_master(
    index: str, expiry_tag: str, offset: int, weekday: str | int, data_dir: str | None = None
) -> pd.DataFrame:
    """The weekday master of one series: `weekday` is a name (`monday`, `MONDAY`) or 0-6 (Monday = 0)."""
    name = reader.weekday_name(weekday)
    return reader.read_weekday_master(_location(data_dir), index, expiry_tag, offset, name)


def load_instruments(date: date | str, exchange: str = "NFO", data_dir: str | None = None) -> pd.DataFrame:
    """Kite's instrument dump of `exchange` (`NFO` or `BFO`) as it was listed on `date`, from the archive.

    The columns of Kite's `/instruments` CSV, typed (`expiry` a `datetime.date`, None where an instrument has
    none). Raises `FileNotFoundError` when that day's dump was not archived.
    """
    return load_archived_dump(_location(data_dir), exchange, _day(date))


def load_chain_range(
    start: date | str,
    end: date | str,
    indices: Sequence[str] | None = None,
    expiry_tags: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    data_dir: str | None = None,
) -> pd.DataFrame:
    """Option rows of every stored day from `start` to `end` (inclusive), optionally some indices and tags only.

    The rows are those of `load_chain(day, index, ...)` for each day in date order and, within a day, each
    index in name order, with the same columns and dtypes (timestamps tz-aware Asia/Kolkata). The column
    projection and the expiry-tag filter are pushed down to the Parquet reader. Days with no data are skipped;
    no day at all gives an empty frame with the asked columns.
    """
    table = reader.read_range(
        _location(data_dir), OPTIONS, _day(start), _day(end), _names(indices), columns, _names(expiry_tags)
    )
    return to_frame(table)


def load_overview_range(
    start: date | str,
    end: date | str,
    indices: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    data_dir: str | None = None,
) -> pd.DataFrame:
    """Overview rows of every stored day from `start` to `end` (inclusive), as `load_chain_range` orders them."""
    table = reader.read_range(_location(data_dir), OVERVIEW, _day(start), _day(end), _names(indices), columns)
    return to_frame(table)


def _names(values: Sequence[str] | str | None) -> list[str] | None:
    """A list of names from a sequence or one name (None stays None: no filter)."""
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)
