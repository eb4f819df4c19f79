"""The days-to-expiry master behind a stored day's intraday charts: the typical day at the same number of sessions
before the expiry (`storage.dte_samples`), so today's straddle and ATM IV are read against days alike in what
is left of their expiry, whatever their weekday."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.instruments.dte import as_date, sessions_to_expiry
from g6_pipeline.live.chain_view import StoredDay, value
from g6_pipeline.storage.dte_samples import read_dte_master

BAND_NAMES: tuple[str, ...] = ("p10", "p50", "p90")


def dte_master_view(stored: StoredDay, expiry_tag: str, calendar: MarketCalendar) -> dict[str, Any] | None:
    """The bands (p10, p50, p90) of the ATM straddle and ATM IV per minute of session for the day's sessions to
    the tag's expiry, with the number of days they rest on; None when the day lists no expiry for the tag, the
    calendar has no session that day or no day of that key was folded."""
    column = f"expiry_{expiry_tag}"
    listed = stored.overview[column].dropna() if column in stored.overview else pd.Series(dtype=object)
    session = calendar.session(stored.day)
    if listed.empty or session is None:
        return None
    expiry = as_date(listed.iloc[-1])
    if expiry is None:
        return None
    try:
        left = sessions_to_expiry(stored.day, expiry, calendar)
    except ValueError:  # an expiry before the day
        return None
    table = read_dte_master(stored.location, stored.index, expiry_tag, left)
    if table.empty:
        return None
    opening = session.start.astimezone(IST)
    return {
        "sessions_to_expiry": left,
        "times": [(opening + timedelta(minutes=int(m))).strftime("%H:%M") for m in table["minute_of_session"]],
        "days": int(table["days"].max()),
        "straddle": {band: [value(v) for v in table[f"straddle_{band}"]] for band in BAND_NAMES},
        "atm_iv": {band: [value(v) for v in table[f"atm_iv_{band}"]] for band in BAND_NAMES},
    }

