"""Every day's Kite instrument dump of NFO and BFO, kept for good as one zstd Parquet file per exchange and day.

Kite lists only live contracts and its tokens of expired contracts cannot be looked up later; the daily dump
is also the record of each rule change (expiry weekdays, weeklies, lot sizes, strike steps) the day the
contracts list. The dump cache (`instruments.cache`) keeps a few days; this archive keeps each day's dump as
it was first stored (`DataLocation.instrument_archive_file`), with the columns and types of
`instruments.dump.DUMP_COLUMNS`. A day already archived is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import pyarrow as pa

from g6_pipeline.instruments.cache import InstrumentCache
from g6_pipeline.instruments.dump import DUMP_COLUMNS, DumpError
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import StorageError, read_table, table_bytes

ARCHIVED_EXCHANGES: tuple[str, ...] = ("NFO", "BFO")
"""The exchanges whose dumps are archived: the option segments G6 collects."""
DUMP_SCHEMA = pa.schema([
    ("instrument_token", pa.int64()),
    ("exchange_token", pa.int64()),
    ("tradingsymbol", pa.string()),
    ("name", pa.string()),
    ("last_price", pa.float64()),
    ("expiry", pa.date32()),
    ("strike", pa.float64()),
    ("tick_size", pa.float64()),
    ("lot_size", pa.int64()),
    ("instrument_type", pa.string()),
    ("segment", pa.string()),
    ("exchange", pa.string()),
])
"""An archived dump's columns: `DUMP_COLUMNS`, typed (`expiry` a date, null for instruments without one)."""


def archive_dump(location: DataLocation, exchange: str, day: date, dump: pd.DataFrame) -> bool:
    """Keep `dump` (a typed frame of `instruments.dump`) as the archive of (exchange, day); False when that day
    is already archived (it is left as it is)."""
    path = location.instrument_archive_file(exchange, day)
    if location.exists(path):
        return False
    if dump.empty:
        raise DumpError(f"{exchange} instrument dump for {day.isoformat()} is empty: nothing to archive")
    try:
        table = pa.Table.from_pandas(dump.loc[:, list(DUMP_COLUMNS)], schema=DUMP_SCHEMA, preserve_index=False)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise StorageError(f"{exchange} instrument dump for {day.isoformat()} does not fit the archive: {exc}") from None
    location.write_atomic(path, table_bytes(table.replace_schema_metadata(None)))
    return True


def load_archived_dump(location: DataLocation, exchange: str, day: date) -> pd.DataFrame:
    """The archived dump of (exchange, day), typed as `instruments.dump` types it (expiry a `datetime.date` or
    None, `exchange_token` nullable). Raises `FileNotFoundError` naming the file when that day is not archived."""
    path = location.instrument_archive_file(exchange, day)
    if not location.exists(path):
        raise FileNotFoundError(f"no {exchange} instrument dump archived for {day.isoformat()} at {path}")
    frame = read_table(location, path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    frame["instrument_token"] = frame["instrument_token"].astype("int64")
    frame["lot_size"] = frame["lot_size"].astype("int64")
    frame["expiry"] = [None if pd.isna(x) else x for x in frame["expiry"]]
    return frame


def archived_days(location: DataLocation, exchange: str) -> list[date]:
    """The days whose dump of `exchange` is archived, in date order."""
    folder = location.instrument_archive_file(exchange, date(2000, 1, 1)).parent
    days = []
    for name in location.list_names(folder):
        try:
            days.append(date.fromisoformat(name.removesuffix(".parquet")))
        except ValueError:
            continue
    return sorted(days)


def previous_archived_day(location: DataLocation, exchange: str, day: date) -> date | None:
    """The last archived day of `exchange` before `day` (the previous session's dump), None when there is none."""
    earlier = [d for d in archived_days(location, exchange) if d < day]
    return earlier[-1] if earlier else None


def archive_cached_dumps(
    location: DataLocation, cache: InstrumentCache, exchanges: Iterable[str] = ARCHIVED_EXCHANGES
) -> list[tuple[str, date]]:
    """Archive every dump the cache holds that the archive does not (a cached dump failing its checks is
    skipped: the cache says why); returns the (exchange, day) archived now."""
    done = []
    for day in cache.days():
        for exchange in exchanges:
            if location.exists(location.instrument_archive_file(exchange, day)):
                continue
            dump = cache.load(exchange, day)
            if dump is not None and archive_dump(location, exchange, day, dump):
                done.append((exchange, day))
    return done
