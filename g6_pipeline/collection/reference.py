"""What a minute's analytics need from earlier data: the previous session's close and today's first minute.

Read once per (index, day) from the edges of the stored data (one minute slice or a filtered sealed file),
then kept in `_reference/<INDEX>/<YYYY-MM-DD>.json` so the next minute's run, a new process, does not
read it again.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.snapshot import SessionReference
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW
from g6_pipeline.storage.reader import read_edge_minute
from g6_pipeline.util.numeric import finite_or_none

log = logging.getLogger(__name__)
_LEG_COLUMNS = ["tradingsymbol", "last_price", "oi"]


class ReferenceCache:
    """Builds and remembers one `SessionReference` per (index, day) from the stored data."""

    def __init__(self, location: DataLocation, calendar: MarketCalendar) -> None:
        self.location = location
        self.calendar = calendar
        self._cache: dict[tuple[str, date], SessionReference] = {}

    def get(self, index: str, day: date) -> SessionReference:
        """The reference for `index` on `day`; an empty reference (NaN changes) when nothing is stored."""
        key = (index, day)
        cached = self._cache.get(key) or self._read_kept(index, day)
        if cached is not None:
            self._cache[key] = cached
            return cached
        reference, document = self._build(index, day)
        # today's first minute may not be stored yet: keep the reference only once it is complete
        if not math.isnan(reference.day_open_spot):
            self._cache[key] = reference
            path = self.location.reference_file(index, day)
            try:
                self.location.write_atomic(path, json.dumps(document).encode(), durable=False)
            except OSError as exc:  # a read-only or full disk: the reference is used, just not kept
                log.warning("could not keep the reference at %s: %s", path, exc)
        return reference

    def _read_kept(self, index: str, day: date) -> SessionReference | None:
        path = self.location.reference_file(index, day)
        if not self.location.exists(path):
            return None
        try:
            return _from_document(json.loads(self.location.read_bytes(path)))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable reference file %s", path)
            return None

    def _build(self, index: str, day: date) -> tuple[SessionReference, dict[str, Any]]:
        previous = self.calendar.previous_trading_day(day)
        prev_legs = read_edge_minute(self.location, OPTIONS, previous, index, last=True, columns=_LEG_COLUMNS)
        prev_overview = read_edge_minute(self.location, OVERVIEW, previous, index, last=True)
        today_overview = read_edge_minute(self.location, OVERVIEW, day, index, last=False)
        document = {
            "prev_close_legs": _legs(prev_legs),
            "prev_close_straddle": _straddles(prev_overview),
            "day_open_straddle": _straddles(today_overview),
            "day_open_spot": _value(today_overview, "index_price"),
        }
        return _from_document(document), document


def _from_document(document: dict[str, Any]) -> SessionReference:
    legs = document["prev_close_legs"]
    spot = document["day_open_spot"]
    return SessionReference(
        prev_close_legs=(
            pd.DataFrame(legs, columns=_LEG_COLUMNS).astype({"last_price": float, "oi": float}) if legs else None
        ),
        prev_close_straddle={k: float(v) for k, v in document["prev_close_straddle"].items()},
        day_open_straddle={k: float(v) for k, v in document["day_open_straddle"].items()},
        day_open_spot=math.nan if spot is None else float(spot),
    )


def _legs(table: pa.Table | None) -> list[list[Any]]:
    if table is None or table.num_rows == 0:
        return []
    frame = table.select(_LEG_COLUMNS).to_pandas().drop_duplicates("tradingsymbol")
    return [[s, finite_or_none(p), finite_or_none(o)] for s, p, o in frame.itertuples(index=False)]


def _straddles(overview: pa.Table | None) -> dict[str, float]:
    if overview is None or overview.num_rows == 0:
        return {}
    out: dict[str, float] = {}
    for tag in EXPIRY_TAGS:
        value = _value(overview, f"straddle_{tag}")
        if value is not None:
            out[tag] = value
    return out


def _value(table: pa.Table | None, column: str) -> float | None:
    if table is None or table.num_rows == 0 or column not in table.column_names:
        return None
    return finite_or_none(table.column(column)[0].as_py())
