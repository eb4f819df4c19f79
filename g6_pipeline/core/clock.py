"""Market time: every timestamp G6 handles is timezone-aware and market logic runs in Asia/Kolkata."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

MARKET_TZ_NAME = "Asia/Kolkata"
"""The market timezone, by name (for Arrow types and text); `IST` is the same zone as an object."""
IST = ZoneInfo(MARKET_TZ_NAME)
EXPIRY_TIME = time(15, 30)
"""Index options on NSE and BSE expire at the close, 15:30 IST."""


def now_ist() -> datetime:
    """The current time in Asia/Kolkata."""
    return datetime.now(IST)


def to_ist(ts: datetime) -> datetime:
    """Convert an aware datetime to Asia/Kolkata; naive datetimes are refused."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()} refused: G6 needs timezone-aware timestamps")
    return ts.astimezone(IST)


def floor_minute(ts: datetime) -> datetime:
    """The start of the minute `ts` falls in, in Asia/Kolkata."""
    return to_ist(ts).replace(second=0, microsecond=0)
