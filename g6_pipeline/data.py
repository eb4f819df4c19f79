"""Read G6's data from a notebook: a day's option chain, its overview, and the weekday master.

    >>> from g6_pipeline.data import load_chain
    >>> chain = load_chain("2026-11-23", "NIFTY", expiry_tag="this_week", columns=["timestamp", "strike", "iv"])

`data_dir` defaults to the configured data directory (`G6_DATA_DIR`, else `data`); it may be a local folder
or an fsspec URL. A day that was sealed is read from its one file (plus any minute re-written after the
seal); a day still being collected is read from its minute slices. The readers are those of
`g6_pipeline.storage.reader`, which code inside G6 calls with its `DataLocation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from g6_pipeline.storage import reader
from g6_pipeline.storage.location import DataLocation


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
