"""The soak's scripted bad day: when each fault happens (minute offsets into the soak window, scaled to its
length) and what it does to the loopback Kite server or the data directory.

See `benchmarks/soak.py` for the schedule in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS

BURST_REQUESTS = 5
"""Consecutive /quote requests answered 429 in the burst (more than one call's retries)."""
RENEWED_TOKEN = "access-renewed-9876543210"
RENEW_LEAD = timedelta(seconds=20)
"""The new token is stored this long before the minute it is due, so that minute's run already reads it."""
FULL_SCALE = 30
"""The schedule is written for a 30-minute window; longer and shorter ones (from 20 minutes) are scaled."""
COMPRESSED_BELOW = 20
"""Shorter windows get the compressed schedule (the faults a minute or two apart)."""


@dataclass(frozen=True)
class Schedule:
    """Minute offsets (from the window's first minute) of each fault; the outage is [start, end)."""

    burst: int
    outage: tuple[int, int]
    token_expiry: int
    token_renewal: int
    corrupt: int

    def describe(self) -> list[str]:
        """One line per fault, for the report."""
        start, end = self.outage
        return [
            f"minute {self.burst}: {BURST_REQUESTS} /quote requests answered 429",
            f"minutes {start}-{end - 1}: every /quote answered 502 with an HTML page ({end - start} min outage)",
            f"minute {self.token_expiry}: the access token expires (403 TokenException)",
            f"minute {self.token_renewal}: a new token is stored (`g6 token login`) and accepted",
            f"minute {self.corrupt}: one stored options minute slice of an earlier minute truncated",
        ]


def schedule_for(minutes: int) -> Schedule:
    """The fault schedule of a window of `minutes` (at least 6)."""
    if minutes < 6:
        raise ValueError("the soak needs at least 6 minutes")
    if minutes < COMPRESSED_BELOW:
        return Schedule(burst=1, outage=(2, 4), token_expiry=4, token_renewal=5, corrupt=5)

    def at(full: int) -> int:
        return round(full * minutes / FULL_SCALE)

    return Schedule(burst=at(4), outage=(at(8), at(13)), token_expiry=at(17), token_renewal=at(17) + 1,
                    corrupt=at(22))


@dataclass
class Event:
    """One action due at a (shifted) time."""

    due: datetime
    name: str
    action: Callable[[], str]
    """Does it; returns what it did, for the report."""
    done: str | None = None


def corrupt_slice(location: DataLocation, minutes: list[datetime], indices: list[str]) -> Path | None:
    """Truncate the options minute slice of the earliest of `minutes` stored for one of `indices` (tried in
    order) to half its size; returns its path, None when none is stored."""
    for minute in minutes:
        for index in indices:
            path = Path(location.minute_slice(OPTIONS, minute.date(), index, minute).path)
            if path.exists() and path.stat().st_size > 16:
                with path.open("r+b") as handle:
                    handle.truncate(path.stat().st_size // 2)
                return path
    return None
