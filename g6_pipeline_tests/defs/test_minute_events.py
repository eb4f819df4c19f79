"""How many minute partitions one collection run reports: every one for a few underlyings, a rotating share of
two hundred (each of them in turn, none forgotten)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from g6_pipeline.core.clock import IST
from g6_pipeline.core.underlyings import expand
from g6_pipeline.defs.collection.minutes import MINUTE_EVENTS, reported

OPEN = datetime(2026, 11, 23, 9, 15, tzinfo=IST)


def test_a_few_underlyings_are_reported_every_minute() -> None:
    names = ["SENSEX", "NIFTY", "BANKNIFTY", "FINNIFTY"]
    assert reported(names, OPEN) == sorted(names) == reported(names, OPEN + timedelta(minutes=7))


def test_two_hundred_are_reported_in_turn_at_most_sixteen_a_minute() -> None:
    names = expand(["indices", "fo_stocks"])[:200]
    period = 13  # ⌈200 / 16⌉ minutes
    seen: Counter[str] = Counter()
    for k in range(period):
        minute = reported(names, OPEN + timedelta(minutes=k))
        assert 0 < len(minute) <= MINUTE_EVENTS
        seen.update(minute)
    assert set(seen) == set(names) and set(seen.values()) == {1}  # every one once per period
    assert reported(names, OPEN + timedelta(minutes=period)) == reported(names, OPEN)
