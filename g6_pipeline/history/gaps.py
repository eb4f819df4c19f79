"""A day's gaps, found cheaply, and their repair with the configured Kite account.

`day_gaps` is what the gap-repair sensor asks on every tick: the session minutes of a day that have no
stored minute slice before the latest one that has, per index, from the names of the slices alone
(`collection.freshness.slice_minutes`: a directory listing, no file is read). Minutes after the latest stored
one are an outage still going on, not a gap yet. `repair_with_kite` first moves unreadable slices to
the quarantine folder (their minutes become gaps), then runs `repair.repair_day` with the configured Kite
account and instrument cache, for `g6 repair`, the repair run the sensor launches and the seal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from g6_pipeline.collection.freshness import slice_minutes
from g6_pipeline.core.clock import IST, floor_minute, now_ist
from g6_pipeline.history.repair import RepairReport, repair_day
from g6_pipeline.instruments import InstrumentCache
from g6_pipeline.process.setup import ProcessSetup, instrument_cache_dir
from g6_pipeline.storage.quarantine import quarantine_unreadable

Gaps = dict[str, list[datetime]]
"""Per index, the missing minutes in time order."""


def day_gaps(setup: ProcessSetup, day: date, now: datetime) -> Gaps:
    """Per enabled index with a stored minute: the session minutes before its latest stored one (and before
    the current minute) with none stored. Indices without such a gap are left out."""
    current = floor_minute(now.astimezone(IST))
    session = [m for m in setup.calendar.session_minutes(day) if m < current]
    out: Gaps = {}
    for index in setup.settings.enabled_indices:
        stored = slice_minutes(setup.location, day, index)
        if not stored:
            continue
        latest = max(stored)
        missing = [m for m in session if m < latest and m not in stored]
        if missing:
            out[index] = missing
    return out


def gap_key(day: date, gaps: Mapping[str, Sequence[datetime]]) -> str:
    """`gaps-<day>-<digest>`: the same gaps always give the same key, other gaps another."""
    text = ";".join(f"{ix}:{','.join(m.strftime('%H%M') for m in sorted(gaps[ix]))}" for ix in sorted(gaps))
    return f"gaps-{day.isoformat()}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def minute_span(minutes: Sequence[datetime]) -> str:
    """'09:30-09:49' for consecutive minutes, else the list of HH:MM (shortened)."""
    if not minutes:
        return ""
    ordered = sorted(minutes)
    if ordered[-1] - ordered[0] == timedelta(minutes=len(ordered) - 1):
        return ordered[0].strftime("%H:%M") + ("" if len(ordered) == 1 else ordered[-1].strftime("-%H:%M"))
    shown = ", ".join(m.strftime("%H:%M") for m in ordered[:6])
    return shown + (f", … ({len(ordered)} minutes)" if len(ordered) > 6 else "")


def describe_minutes(minutes: Sequence[datetime], most: int = 6) -> str:
    """The minutes as runs of consecutive minutes, `09:18-09:20, 09:23-15:29` (at most `most` runs shown)."""
    runs: list[list[datetime]] = []
    for minute in sorted(minutes):
        if runs and minute - runs[-1][-1] == timedelta(minutes=1):
            runs[-1].append(minute)
        else:
            runs.append([minute])
    shown = ", ".join(minute_span(run) for run in runs[:most])
    return shown + (f", … ({len(runs)} runs)" if len(runs) > most else "")


def repair_with_kite(
    setup: ProcessSetup, day: date, indices: Sequence[str] | None = None, now: datetime | None = None
) -> RepairReport:
    """`repair_day` of `day` (up to `now`, default the current time) with the configured Kite account,
    today's instrument dumps read through the data directory's instrument cache."""
    from g6_pipeline.providers.kite import KiteSource  # the Kite client is loaded only when Kite is used
    from g6_pipeline.providers.kite_token import TokenStore

    kite = setup.settings.kite
    source = KiteSource(kite, TokenStore(kite.token_file))
    cache = InstrumentCache(instrument_cache_dir(setup.location))
    names = list(indices) if indices else list(setup.settings.enabled_indices)
    quarantined = [q.describe() for name in names for q in quarantine_unreadable(setup.location, day, name)]
    report = repair_day(setup, source, day, names, now=now or now_ist(), cache=cache)
    report.quarantined = quarantined
    return report
