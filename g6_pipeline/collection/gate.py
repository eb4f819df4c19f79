"""Whether a minute should be collected: the session gate, holidays, the token, and duplicate minutes.

A weekday of a year the holiday file does not cover is a provisional session: it is collected (the reason
says so and names the fix), and the exchange's own clock decides whether it trades (`core.freshness`).

Pure decision logic for the minute sensor (and `g6 collect`), free of Dagster so it can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import floor_minute, to_ist
from g6_pipeline.providers.kite_token import TokenStore, TokenStoreError
from g6_pipeline.settings import Settings

Cause = Literal["collect", "already_requested", "market_closed", "token", "token_file"]
"""Which part of the gate decided (`token_file`: the token store exists but cannot be read)."""


@dataclass(frozen=True)
class MinuteDecision:
    """Collect `minute` (when `collect`), or do not, for the stated reason."""

    minute: datetime
    collect: bool
    reason: str
    cause: Cause = "collect"


def token_problem(settings: Settings, now: datetime) -> tuple[str, Cause] | None:
    """Why Kite cannot be called now (no token, an unreadable token file, or a stored token past its 06:00 IST
    expiry) and which cause that is, else None."""
    if settings.provider != "kite":
        return None
    if settings.kite.access_token is not None:
        return None  # given explicitly (KITE_ACCESS_TOKEN); the server is the judge
    try:
        stored = TokenStore(settings.kite.token_file).load()
    except TokenStoreError as exc:
        return str(exc), "token_file"  # names the file and the fix, never its content
    if stored is None:
        return f"no Kite access token: run `g6 token login` (token store {settings.kite.token_file})", "token"
    if stored.is_expired(now):
        return "Kite access token expired (tokens die at 06:00 IST): run `g6 token login`", "token"
    return None


def decide_minute(
    now: datetime,
    settings: Settings,
    calendar: MarketCalendar,
    last_minute: datetime | None = None,
) -> MinuteDecision:
    """Decide for the minute containing `now`; `last_minute` is the last minute already requested."""
    minute = floor_minute(to_ist(now))
    if last_minute is not None and floor_minute(last_minute) >= minute:
        return MinuteDecision(minute, False, f"minute {minute:%H:%M} already requested", "already_requested")
    is_open = calendar.is_open(now)
    nxt = calendar.next_open(now)
    if settings.market_hours_gate and not is_open:
        day = minute.date()
        if not calendar.is_trading_day(day):
            what = "weekend" if day.weekday() >= 5 else "market holiday"
            reason = f"{what} {day:%a %Y-%m-%d}; next session opens {nxt:%a %Y-%m-%d %H:%M} IST"
        else:
            reason = f"market closed at {minute:%H:%M} IST; next open {nxt:%a %Y-%m-%d %H:%M} IST"
        return MinuteDecision(minute, False, reason, "market_closed")
    problem = token_problem(settings, now)
    if problem:
        return MinuteDecision(minute, False, *problem)
    note = calendar.provisional_note(minute.date())
    return MinuteDecision(minute, True, f"collect {minute:%Y-%m-%d %H:%M} IST" + (f" ({note})" if note else ""))
