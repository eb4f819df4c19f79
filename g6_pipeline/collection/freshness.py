"""Whether the live minute data is fresh: during a session, every enabled index's latest stored minute is recent.

Read from the names of the day's minute slices (a directory listing, no file is read), so it is cheap enough
to ask every minute. Outside a session there is nothing to be fresh about. The threshold is the one the alerts
use (`alerts.stale_after_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from g6_pipeline.core.calendar import CalendarError
from g6_pipeline.core.clock import IST
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OVERVIEW


def slice_minutes(location: DataLocation, day: date, index: str) -> set[datetime]:
    """The minutes of (day, index) that have an overview slice, in the partition or kept raw (names only)."""
    names = {
        *location.minute_slice_names(location.table_dir(OVERVIEW, day, index)),
        *location.minute_slice_names(location.raw_dir(OVERVIEW, day, index)),
    }
    return {datetime.combine(day, time(int(n[:2]), int(n[2:4])), IST) for n in names}


@dataclass(frozen=True)
class Freshness:
    """The live minute data at one moment: fresh or not, and each enabled index's age."""

    in_session: bool
    passed: bool
    description: str
    ages: dict[str, float | None]
    """Seconds since the end of each index's latest stored minute of the day (None: nothing stored today)."""


def minute_freshness(setup: ProcessSetup, now: datetime) -> Freshness:
    """During a session (once `alerts.stale_after_seconds` past its open), whether every enabled index has a
    minute stored within that many seconds; outside one, passed, saying the market is closed."""
    limit = setup.settings.alerts.stale_after_seconds
    at = now.astimezone(IST)
    try:
        session = setup.calendar.session(at.date())
    except CalendarError as exc:
        return Freshness(False, True, str(exc), {})
    opened = session.start + timedelta(seconds=limit) if session is not None else None
    if session is None or opened is None or not opened <= at <= session.end:
        return Freshness(False, True, f"no session at {at:%a %Y-%m-%d %H:%M} IST: nothing to be fresh", {})
    ages: dict[str, float | None] = {}
    for index in setup.settings.enabled_indices:
        stored = slice_minutes(setup.location, at.date(), index)
        ages[index] = (at - max(stored) - timedelta(minutes=1)).total_seconds() if stored else None
    stale = {ix: age for ix, age in ages.items() if age is None or age > limit}
    if not stale:
        newest = max((a for a in ages.values() if a is not None), default=0.0)
        return Freshness(True, True, f"every index has a minute stored within {newest:.0f} s", ages)
    said = ", ".join(f"{ix} {'nothing today' if age is None else f'{age:.0f} s old'}" for ix, age in stale.items())
    return Freshness(True, False, f"minute data stale (limit {limit:.0f} s): {said}", ages)
