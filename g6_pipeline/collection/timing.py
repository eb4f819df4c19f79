"""When a minute is collected: which minute a run is for, when it may be requested, and the wait for its start.

A minute run is launched ahead of its minute: the sensor requests minute M+1 during the last
`LAUNCH_AHEAD_SECONDS` of minute M, so the run's worker starts, imports and loads the definitions during M
and then waits (`wait_until`) for M+1's first instant to request its quotes. A minute already begun is
requested only while a run can still start and fetch within its late-run grace (`collection.late_grace_seconds`
less `START_ALLOWANCE_SECONDS`); later in the minute the next one is awaited instead, so no run is launched
that cannot reach its minute in time.

`g6 collect --once` plans the same way from the instant it is ready to fetch: the minute it is in while the
fetch can make the grace, else the next minute, awaited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from g6_pipeline.core.clock import floor_minute, now_ist, to_ist

MINUTE = timedelta(minutes=1)
LAUNCH_AHEAD_SECONDS = 25.0
"""The sensor requests the next minute from this long before it (second 35; with its 5-s interval the request
comes 20-25 s ahead): ample for the run's queue, launch and worker start (import G6, load the definitions),
about 3 s on a quiet 2-core machine and 8-10 s on a busy one."""
START_ALLOWANCE_SECONDS = 15.0
"""How long a run may take from its request to its fetch (queue, launch, worker start, loading) on a busy
machine; a minute already begun is requested only while its late-run grace leaves at least this much."""
WAIT_HORIZON_SECONDS = 60.0
"""A run waits for an instant at most this far ahead: a run launched ahead of its minute is always nearer."""
FETCH_ALLOWANCE_SECONDS = 5.0
"""How long a manual cycle allows its own fetch when it chooses between the current and the next minute."""


@dataclass(frozen=True)
class MinutePlan:
    """The minute to request (None: none now) and why, in words."""

    minute: datetime | None
    reason: str


def minute_to_request(now: datetime, grace: float | None) -> MinutePlan:
    """The minute the sensor may request at `now`: the next one from `LAUNCH_AHEAD_SECONDS` before it, the
    current one while a run can still reach it within `grace` (None: no grace), else none until the next
    minute's launch."""
    local = to_ist(now)
    current = floor_minute(local)
    following = current + MINUTE
    into = (local - current).total_seconds()
    launch_from = 60.0 - LAUNCH_AHEAD_SECONDS
    if into >= launch_from:
        return MinutePlan(following, f"minute {following:%H:%M} launched ahead, {60.0 - into:.0f} s before it")
    latest = None if grace is None else grace - START_ALLOWANCE_SECONDS
    if latest is None or into <= latest:
        return MinutePlan(current, f"minute {current:%H:%M} requested {into:.0f} s into it")
    return MinutePlan(None, (
        f"minute {current:%H:%M} not requested: {into:.0f} s into it a run could not start and fetch within its "
        f"{grace:g} s late-run grace; minute {following:%H:%M} is launched ahead from second {launch_from:.0f}"
    ))


def instant_to_collect(now: datetime, grace: float | None) -> datetime:
    """The instant a manual cycle ready to fetch at `now` fetches at: `now` itself while the fetch can make
    the current minute's late-run `grace` (None: always), else the next minute's first instant (awaited)."""
    current = floor_minute(now)
    into = (to_ist(now) - current).total_seconds()
    if grace is None or into <= grace - FETCH_ALLOWANCE_SECONDS:
        return now
    return current + MINUTE


def wait_until(
    deadline: datetime,
    clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
) -> float:
    """Block until `clock()` (default: the market clock) reaches `deadline`, or until `stop` is set; return
    the seconds waited.

    A deadline wait on an event, not a polling loop; a wake-up that the clock says is early waits again for
    what is left.
    """
    now = clock or now_ist
    event = stop if stop is not None else threading.Event()
    started = time.monotonic()
    while not event.is_set():
        left = (deadline - now()).total_seconds()
        if left <= 0:
            break
        event.wait(left)
    return time.monotonic() - started
