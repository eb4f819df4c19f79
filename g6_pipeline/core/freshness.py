"""The exchange's clock decides what is fresh: quote ages, stale legs and indices, and a closed exchange.

Every quote carries the exchange's time (Kite's `timestamp`). A quote whose time is older than the stale
threshold (`settings.alerts.quote_stale_seconds`) when its minute is fetched has not advanced for that long:
its prices are the exchange's last ones, not this minute's. Such a leg keeps the prices it was quoted with and
is flagged `stale` (never fabricated, never lost; analytics compute nothing from its price). An index is stale
when its own quote is, or when every one of its option quotes is: its quote age is the larger of its own
quote's age and its freshest option quote's age. When every quote of a minute carries an earlier session's
time (a holiday, or before the day's first tick), the exchange is closed and nothing is stored for the minute.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import IST, to_ist


def quote_ages(reference: datetime, stamps: np.ndarray) -> np.ndarray:
    """Seconds from each exchange time (`stamps`, Unix seconds, NaN unknown) to `reference`, at least 0."""
    ages = reference.timestamp() - np.asarray(stamps, dtype="float64")
    return np.where(np.isnan(ages), math.nan, np.maximum(ages, 0.0))


def stale_flags(ages: np.ndarray, threshold: float) -> pd.arrays.BooleanArray:
    """Whether each quote is stale (age above `threshold`); NA where its age is unknown."""
    ages = np.asarray(ages, dtype="float64")
    unknown = np.isnan(ages)
    return pd.arrays.BooleanArray(np.where(unknown, False, ages > threshold), unknown)


def as_stale_flags(values: pd.Series) -> pd.arrays.BooleanArray:
    """A `stale` leg column as it may arrive (boolean, or object/float with gaps after a concat) as a nullable
    boolean array: NA where unknown."""
    if isinstance(values.array, pd.arrays.BooleanArray):
        return values.array
    known = values.notna().to_numpy(dtype=bool)
    flags = np.zeros(len(values), dtype=bool)
    flags[known] = values[known].astype(bool).to_numpy(dtype=bool)
    return pd.arrays.BooleanArray(flags, ~known)


def freshness_columns(legs: pd.DataFrame) -> dict[str, pd.Series]:
    """The freshness columns of `legs` (`snapshot.FRESHNESS_COLUMNS`) as stored: IST times and nullable stale
    flags, null where a column is absent or (after a concat with older legs) partly absent."""
    out: dict[str, pd.Series] = {}
    for name in ("exchange_timestamp", "last_trade_time"):
        column = legs[name] if name in legs.columns else pd.Series(pd.NaT, index=legs.index)
        if not isinstance(column.dtype, pd.DatetimeTZDtype):
            column = pd.to_datetime(column, utc=True)
        out[name] = pd.Series(column.dt.tz_convert(IST).array, index=legs.index)
    flags = legs["stale"] if "stale" in legs.columns else pd.Series(pd.NA, index=legs.index, dtype="boolean")
    out["stale"] = pd.Series(as_stale_flags(flags), index=legs.index)
    return out


def index_quote_age(own_age: float, leg_ages: np.ndarray) -> float:
    """How long an index's quotes have not advanced: the larger of its own quote's age and its freshest option
    quote's age (NaN when neither is known)."""
    legs = np.asarray(leg_ages, dtype="float64")
    freshest = float(np.nanmin(legs)) if legs.size and not np.isnan(legs).all() else math.nan
    known = [a for a in (own_age, freshest) if math.isfinite(a)]
    return max(known) if known else math.nan


def exchange_times(seconds: np.ndarray) -> pd.arrays.DatetimeArray:
    """Unix seconds (NaN unknown) as tz-aware IST times cut to the second (NaT unknown)."""
    values = np.asarray(seconds, dtype="float64")
    whole = np.where(np.isnan(values), np.nan, np.floor(values))
    return pd.to_datetime(whole, unit="s", utc=True).tz_convert(IST).array


def exchange_closed(stamps: np.ndarray, minute: datetime) -> str | None:
    """Why the exchange is closed at `minute` when every quote time known (`stamps`, Unix seconds) is of an
    earlier day than the minute's (an earlier session), else None (also when no quote carried a time)."""
    values = np.asarray(stamps, dtype="float64")
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    local = to_ist(minute)
    latest = datetime.fromtimestamp(float(values.max()), IST)
    if latest.date() >= local.date():
        return None
    return (f"exchange closed: all {values.size} quotes of {local:%Y-%m-%d %H:%M} carry an earlier session's "
            f"time (the latest {latest:%Y-%m-%d %H:%M:%S} IST); nothing stored for the minute")


def describe_age(seconds: float) -> str:
    """An age as a trader reads it: `45 s`, `3 min 05 s`, `2 h 10 min`."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def stale_reason(age: float, exchange_timestamp: datetime | None, legs_stale: int, legs: int) -> str:
    """Why an index is stale, in words: how long its quotes have not advanced and the exchange's last time."""
    when = f" (exchange time {to_ist(exchange_timestamp):%H:%M:%S})" if exchange_timestamp is not None else ""
    return (f"stale: quotes have not advanced for {describe_age(age)}{when}; {legs_stale} of {legs} legs stale, "
            "stored flagged, no analytics from their prices")
