"""Time to expiry: ACT/365 in seconds, to the close (15:30 Asia/Kolkata) of the expiry date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import numpy as np

from g6_pipeline.analytics.black import FloatArray
from g6_pipeline.core.clock import EXPIRY_TIME, IST

SECONDS_PER_YEAR = 365.0 * 86400.0


def expiry_datetime(expiry: date) -> datetime:
    """The expiry instant of a contract expiring on `expiry`: 15:30 Asia/Kolkata that day."""
    if isinstance(expiry, datetime):
        raise TypeError("expiry must be a date; pass expiry.date() if you hold a datetime")
    return datetime.combine(expiry, EXPIRY_TIME, tzinfo=IST)


def year_fraction(now: datetime, expiry: date | datetime) -> float:
    """Years from `now` to the expiry, ACT/365 with seconds; negative once the contract has expired.

    `expiry` is either a date (taken at 15:30 Asia/Kolkata) or an explicit expiry instant. Both datetimes
    must be timezone-aware: a naive datetime raises ValueError rather than being guessed at.
    """
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("year_fraction needs a timezone-aware 'now'")
    if isinstance(expiry, datetime):
        if expiry.tzinfo is None or expiry.utcoffset() is None:
            raise ValueError("year_fraction needs a timezone-aware expiry datetime")
        end = expiry
    else:
        end = expiry_datetime(expiry)
    delta: timedelta = end - now
    return delta.total_seconds() / SECONDS_PER_YEAR


def year_fractions(now: datetime, expiries: Iterable[date]) -> FloatArray:
    """`year_fraction(now, e)` for each expiry date (a numpy array, in order)."""
    return np.array([year_fraction(now, e) for e in expiries], dtype=np.float64)
