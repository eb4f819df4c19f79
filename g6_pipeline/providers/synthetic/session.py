"""Which simulated session a minute belongs to: the exchange's, a demo session, or none (the market is shut).

During an exchange session a minute is that session's. Outside the session hours the demo market runs a
session of its own, so that numbers are plausible at any hour: it opens at the first minute the market is
asked for in that calendar day's closed hours (collection started at 00:15 opens it at 00:15; a new day
opens a new one), trades for a regular
session's length with volume accumulating from that open exactly as on a trading day, and then stays shut
with its closing values until the next exchange session. A market that served the day's exchange session
stays shut after the exchange's close, its closing values standing as an exchange's option chain shows them
at night. A minute asked for before the open of the day's demo (out of order) finds the market shut.

Every minute run is a process of its own, so what "the first minute asked for" was is the market's
`session_open`, which the collector keeps in its provider state from one run to the next (a fresh market
with no kept state opens its demo at the first minute it is asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from g6_pipeline.core.calendar import MarketCalendar


@dataclass(frozen=True)
class Plan:
    """The session of one minute and the open the market keeps for the next minute."""

    kind: Literal["exchange", "demo", "shut"]
    opened: datetime | None
    """The exchange session's start, the demo session's open, or (shut) the open kept unchanged."""


def plan_minute(calendar: MarketCalendar, opened: datetime | None, local: datetime) -> Plan:
    """The session of the IST minute `local` for a market whose last session opened at `opened`."""
    session = calendar.session(local.date())
    if session is not None and session.start <= local < session.end:
        return Plan("exchange", session.start)
    if opened is not None and opened.date() == local.date():
        exchange = calendar.session(opened.date())
        if exchange is not None and opened == exchange.start:
            return Plan("shut", opened)  # after the day's exchange session, which this market served
        last_close = calendar.last_close(local)
        if last_close <= opened <= local:
            return Plan("demo", opened)
        if last_close <= opened:
            return Plan("shut", opened)  # before the day's demo opened
    return Plan("demo", local)
