"""The primary store: option rows and overview rows as Parquet, laid out by trading day and index.

During the session every minute is one slice, `parquet/<table>/date=YYYY-MM-DD/index=<INDEX>/minute=HHMM.parquet`
(re-writing a minute replaces its slice); the daily seal (`storage.seal`) compacts them into `day.parquet` in
the same folder. Both tables carry exactly `schema.OPTION_SCHEMA` / `schema.OVERVIEW_SCHEMA`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
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
from g6_pipeline.core.schema import OPTION_SCHEMA, OVERVIEW_SCHEMA, TIMESTAMP
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.location import DataLocation

OPTIONS = "options"
OVERVIEW = "overview"
SCHEMAS: dict[str, pa.Schema] = {OPTIONS: OPTION_SCHEMA, OVERVIEW: OVERVIEW_SCHEMA}
ROW_KEY: tuple[str, ...] = ("timestamp", "expiry_tag", "tradingsymbol")
"""What identifies an option row. An instrument serves two tags when their expiries coincide (next_week and
this_month in a month's last week), so the tag is part of the key."""
SORT_KEYS: dict[str, list[tuple[str, str]]] = {
    OPTIONS: [
        ("timestamp", "ascending"),
        ("expiry", "ascending"),
        ("strike", "ascending"),
        ("side", "ascending"),
    ],
    OVERVIEW: [("timestamp", "ascending")],
}


class StorageError(ValueError):
    """Data that cannot be stored as it is (wrong columns, types or day); the message says what and where."""


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
    """Serialise a table as one Parquet file in memory."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=None if compression == "none" else compression)
    return bytes(sink.getvalue().to_pybytes())


def read_table(location: DataLocation, path: UPath, columns: Sequence[str] | None = None) -> pa.Table:
    """Read one Parquet file written by G6 (optionally only some columns)."""
    data = location.read_bytes(path)
    try:
        table = pq.read_table(pa.BufferReader(data), columns=list(columns) if columns is not None else None)
    except (pa.ArrowException, OSError) as exc:  # name the file: Arrow only says '<Buffer>'
        raise StorageError(f"{path}: unreadable Parquet file: {exc}") from exc
    return conform(table)


def read_tables(
    location: DataLocation, paths: Sequence[UPath], columns: Sequence[str] | None = None
) -> pa.Table:
    """Read many Parquet files of one schema into one table (in the order given, files read in parallel)."""
    dataset = pads.dataset([p.path for p in paths], format="parquet", filesystem=location.arrow_filesystem())
    return conform(dataset.to_table(columns=list(columns) if columns is not None else None))


def overlay_minutes(base: pa.Table | None, fresh: pa.Table) -> pa.Table:
    """`fresh` laid over `base`: every minute present in `fresh` replaces that minute's rows of `base`."""
    if base is None or base.num_rows == 0:
        return fresh
    replaced = pc.is_in(base.column("timestamp"), value_set=pc.unique(fresh.column("timestamp")))
    return pa.concat_tables([base.filter(pc.invert(replaced)), fresh.cast(base.schema)])


def conform(table: pa.Table) -> pa.Table:
    """Undo Parquet's one type change: second timestamps are stored as milliseconds."""
    position = table.schema.get_field_index("timestamp")
    if position < 0 or table.schema.field(position).type == TIMESTAMP:
        return table
    return table.set_column(position, "timestamp", table.column(position).cast(TIMESTAMP))


class ParquetSink:
    """Writes each minute's chains as Parquet slices (implements the `Sink` protocol)."""

    name = "parquet"

    def __init__(self, location: DataLocation, compression: str = "zstd") -> None:
        self.location = location
        self.compression = compression

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute: an options slice and an overview slice per chain; failures are reported, not raised."""
        started = time.perf_counter()
        rows = written = 0
        errors: list[str] = []
        for chain in chains:
            try:
                rows_one, bytes_one = self.write_minute(chain)
            except Exception as exc:  # one bad chain or destination must not stop the others
                errors.append(f"{chain.index}: {exc}")
                continue
            rows += rows_one
            written += bytes_one
        return SinkOutcome(
            sink=self.name,
            rows=rows,
            bytes=written,
            seconds=time.perf_counter() - started,
            error="; ".join(errors) or None,
        )

    def write_minute(self, chain: EnrichedChain) -> tuple[int, int]:
        """Write one chain's two slices; returns (option rows, bytes). Raises on bad data or I/O errors."""
        minute = pd.Timestamp(chain.timestamp).tz_convert(MARKET_TZ_NAME)
        day = minute.date()
        options = options_table(chain.options)
        _check_one_minute(options, minute, chain.index)
        overview = overview_table([chain.overview])
        loc = self.location
        size = loc.write_atomic(
            loc.minute_slice(OPTIONS, day, chain.index, minute), table_bytes(options, self.compression)
        )
        size += loc.write_atomic(
            loc.minute_slice(OVERVIEW, day, chain.index, minute), table_bytes(overview, self.compression)
        )
        return options.num_rows, size

    def write_day(self, chains: Sequence[EnrichedChain]) -> tuple[int, int]:
        """Write the chains of one index for one day directly as the sealed files; returns (rows, bytes)."""
        if not chains:
            raise StorageError("write_day needs at least one chain")
        options = pd.concat([c.options for c in chains], ignore_index=True)
        overview = pd.DataFrame([c.overview for c in chains])
        return self.write_day_frames(options, overview)

    def write_day_frames(self, options: pd.DataFrame, overview: pd.DataFrame) -> tuple[int, int]:
        """Write a whole day of one index from frames (a vectorised backfill) as its sealed files."""
        table = options_table(options)
        over = overview_table(overview)
        index, day = _single_day_and_index(table, "options")
        if _single_day_and_index(over, "overview") != (index, day):
            raise StorageError(f"overview rows are not of {index} on {day}")
        size = write_sealed(self.location, OPTIONS, day, index, table, self.compression)
        size += write_sealed(self.location, OVERVIEW, day, index, over, self.compression)
        return table.num_rows, size


def write_sealed(
    location: DataLocation, table_name: str, day: date, index: str, table: pa.Table, compression: str = "zstd"
) -> int:
    """Sort a day's table and write it atomically as the sealed file; returns its size."""
    return location.write_atomic(
        location.sealed_file(table_name, day, index), sealed_bytes(table_name, table, compression)
    )


def sealed_bytes(table_name: str, table: pa.Table, compression: str = "zstd") -> bytes:
    """A day's table sorted in the sealed order and serialised."""
    return table_bytes(table.sort_by(SORT_KEYS[table_name]), compression)


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
