"""Days to expiry, counted in trading sessions, and the key of the days-to-expiry master.

`sessions_to_expiry(day, expiry)` is the number of trading sessions after `day` up to and including the
expiry day, on the market calendar: 0 on the expiry day itself, 1 on the session before it. A holiday
between the two is not counted, so a Monday before a Tuesday expiry is 1 whatever happened to the weekday
rules, and a Monday that became the expiry day because Tuesday is a holiday is 0, not a "Monday". A special
session (Muhurat trading) is a session and counts.

The days-to-expiry master keys a minute of an index's expiry tag by (index, expiry tag, sessions to expiry,
minute of session), `minute_of_session` counting from the session's open (09:15 is 0, 15:29 is 374). Keys of
days of different weekday rules (before and after September 2025) and of holiday-moved expiries then agree
where the days are alike: the same number of sessions left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import to_ist
from g6_pipeline.core.schema import EXPIRY_TAGS

DTE_KEY_COLUMNS: tuple[str, ...] = ("index", "expiry_tag", "sessions_to_expiry", "minute_of_session")
"""The days-to-expiry master's key."""


@dataclass(frozen=True)
class DteKey:
    """The days-to-expiry master key of one minute of one index's expiry tag."""

    index: str
    expiry_tag: str
    sessions_to_expiry: int
    minute_of_session: int


def sessions_to_expiry(day: date, expiry: date, calendar: MarketCalendar) -> int:
    """Trading sessions after `day` up to and including `expiry` (0 on the expiry day).

    Raises ValueError for an expiry before `day`. In a year the holiday file does not cover, every weekday
    counts (a provisional session) until the exchange's list is imported.
    """
    if expiry < day:
        raise ValueError(f"expiry {expiry.isoformat()} is before {day.isoformat()}")
    return len(calendar.trading_days(day + timedelta(days=1), expiry))


def minute_of_session(moment: datetime, calendar: MarketCalendar) -> int:
    """Whole minutes from the open of the session `moment` (tz-aware) falls in; ValueError outside a session."""
    local = to_ist(moment)
    session = calendar.session(local.date())
    if session is None or not session.start <= local < session.end:
        raise ValueError(f"{local.isoformat()} is not within a trading session")
    return int((local - session.start).total_seconds() // 60)


def dte_key(index: str, expiry_tag: str, expiry: date, moment: datetime, calendar: MarketCalendar) -> DteKey:
    """The days-to-expiry master key of one minute (see the module docstring)."""
    day = to_ist(moment).date()
    return DteKey(index, expiry_tag, sessions_to_expiry(day, expiry, calendar), minute_of_session(moment, calendar))


def dte_keys(overview: pd.DataFrame, calendar: MarketCalendar, tags: Sequence[str] = EXPIRY_TAGS) -> pd.DataFrame:
    """The key of every (overview row, expiry tag) whose tag has an expiry that minute.

    `overview`: rows of `schema.OVERVIEW_SCHEMA` (at least `timestamp`, `index` and `expiry_<tag>`). Returns
    `timestamp`, `expiry`, then `DTE_KEY_COLUMNS` (`sessions_to_expiry` and `minute_of_session` nullable
    Int64), a row per minute and tag in the overview's order. An expiry before its row's day has no
    `sessions_to_expiry` (NA).
    """
    stamps = pd.DatetimeIndex(overview["timestamp"]).tz_convert("Asia/Kolkata")
    minutes = [_minute_or_none(ts.to_pydatetime(), calendar) for ts in stamps]
    counts: dict[tuple[date, date], int | None] = {}
    frames = []
    for tag in tags:
        column = f"expiry_{tag}"
        if column not in overview.columns:
            continue
        found = [(i, e) for i, e in enumerate(as_date(v) for v in overview[column]) if e is not None]
        rows = [i for i, _ in found]
        sessions = []
        for i, expiry in found:
            key = (stamps[i].date(), expiry)
            if key not in counts:
                counts[key] = _count_or_none(key[0], expiry, calendar)
            sessions.append(counts[key])
        frames.append(pd.DataFrame({
            "timestamp": stamps[rows], "expiry": [e for _, e in found],
            "index": overview["index"].to_numpy(object)[rows], "expiry_tag": tag,
            "sessions_to_expiry": pd.array(sessions, dtype="Int64"),
            "minute_of_session": pd.array([minutes[i] for i in rows], dtype="Int64"),
            "_row": rows,
        }))
    if not frames:
        return pd.DataFrame(columns=["timestamp", "expiry", *DTE_KEY_COLUMNS])
    out = pd.concat(frames, ignore_index=True).sort_values("_row", kind="stable")
    return out.drop(columns="_row").reset_index(drop=True)


def as_date(value: object) -> date | None:
    """A stored expiry (a date, datetime or Timestamp) as a date; None for a missing one."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    return value if isinstance(value, date) else None


def _count_or_none(day: date, expiry: date, calendar: MarketCalendar) -> int | None:
    try:
        return sessions_to_expiry(day, expiry, calendar)
    except ValueError:  # an expiry before the day
        return None


def _minute_or_none(moment: datetime, calendar: MarketCalendar) -> int | None:
    try:
        return minute_of_session(moment, calendar)
    except ValueError:
        return None
