"""What a minute's analytics need from earlier data: the previous session's close and today's first minute."""

from __future__ import annotations

import logging
import math
from datetime import date

import pandas as pd

from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.market_calendar import MarketCalendar
from g6_pipeline.settings.model import EXPIRY_TAGS
from g6_pipeline.snapshot import SessionReference
from g6_pipeline.storage.location import DataLocation

log = logging.getLogger(__name__)


class ReferenceCache:
    """Builds and remembers one `SessionReference` per (index, day) from the stored data."""

    def __init__(self, location: DataLocation, calendar: MarketCalendar) -> None:
        self.location = location
        self.calendar = calendar
        self._cache: dict[tuple[str, date], SessionReference] = {}

    def get(self, index: str, day: date) -> SessionReference:
        """The reference for `index` on `day`; an empty reference (NaN changes) when nothing is stored."""
        key = (index, day)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        reference = self._build(index, day)
        # today's first minute may not be stored yet: only cache once it is known
        if reference.day_open_straddle or not math.isnan(reference.day_open_spot):
            self._cache[key] = reference
        return reference

    def _build(self, index: str, day: date) -> SessionReference:
        previous = self.calendar.previous_trading_day(day)
        prev_legs = _last_minute(_safe_chain(self.location, previous, index))
        prev_overview = _safe_overview(self.location, previous, index)
        today_overview = _safe_overview(self.location, day, index)
        return SessionReference(
            prev_close_legs=prev_legs,
            prev_close_straddle=_straddles(prev_overview, last=True),
            day_open_straddle=_straddles(today_overview, last=False),
            day_open_spot=_first_value(today_overview, "index_price"),
        )


def _safe_chain(location: DataLocation, day: date, index: str) -> pd.DataFrame | None:
    try:
        frame = load_chain(day, index, columns=["timestamp", "tradingsymbol", "last_price", "oi"],
                           data_dir=str(location.root))
    except FileNotFoundError:
        return None
    return frame if len(frame) else None


def _safe_overview(location: DataLocation, day: date, index: str) -> pd.DataFrame | None:
    try:
        frame = load_overview(day, index, data_dir=str(location.root))
    except FileNotFoundError:
        return None
    return frame.sort_values("timestamp") if len(frame) else None


def _last_minute(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    last = frame[frame["timestamp"] == frame["timestamp"].max()]
    return last[["tradingsymbol", "last_price", "oi"]].reset_index(drop=True)


def _straddles(overview: pd.DataFrame | None, *, last: bool) -> dict[str, float]:
    if overview is None:
        return {}
    out: dict[str, float] = {}
    for tag in EXPIRY_TAGS:
        column = f"straddle_{tag}"
        if column not in overview:
            continue
        values = overview[column].dropna()
        if len(values):
            out[tag] = float(values.iloc[-1] if last else values.iloc[0])
    return out


def _first_value(overview: pd.DataFrame | None, column: str) -> float:
    if overview is None or column not in overview:
        return math.nan
    values = overview[column].dropna()
    return float(values.iloc[0]) if len(values) else math.nan
