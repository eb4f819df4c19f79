"""The exchange's clock, worked out by hand: quote ages, stale flags, an index's quote age, a closed exchange."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import IST
from g6_pipeline.core.freshness import (
    as_stale_flags,
    describe_age,
    exchange_closed,
    exchange_times,
    index_quote_age,
    quote_ages,
    stale_flags,
)
from g6_pipeline.providers.quotes import exchange_seconds, parse_quote

FETCH = datetime(2026, 11, 19, 10, 5, 20, tzinfo=IST)
T0 = FETCH.timestamp()


def test_ages_count_to_the_fetch_and_unknown_stays_unknown() -> None:
    ages = quote_ages(FETCH, np.array([T0 - 20, T0 - 200, math.nan, T0 + 3]))
    np.testing.assert_array_equal(ages, [20.0, 200.0, math.nan, 0.0])  # a quote stamped after the fetch is 0 s old
    flags = stale_flags(ages, 120.0)
    assert flags.tolist() == [False, True, pd.NA, False]


def test_an_index_is_as_old_as_the_slower_of_its_own_quote_and_its_freshest_option() -> None:
    assert index_quote_age(20.0, np.array([200.0, 30.0, math.nan])) == 30.0
    assert index_quote_age(200.0, np.array([5.0])) == 200.0  # its own price frozen
    assert index_quote_age(10.0, np.array([300.0, 250.0])) == 250.0  # every option frozen
    assert index_quote_age(10.0, np.array([])) == 10.0
    assert math.isnan(index_quote_age(math.nan, np.array([math.nan])))


def test_the_exchange_is_closed_only_when_every_known_time_is_of_an_earlier_day() -> None:
    minute = datetime(2027, 1, 26, 10, 5, tzinfo=IST)
    yesterday = datetime(2027, 1, 25, 15, 29, 59, tzinfo=IST).timestamp()
    reason = exchange_closed(np.array([yesterday, yesterday - 60, math.nan]), minute)
    assert reason == ("exchange closed: all 2 quotes of 2027-01-26 10:05 carry an earlier session's time "
                      "(the latest 2027-01-25 15:29:59 IST); nothing stored for the minute")
    assert exchange_closed(np.array([yesterday, minute.timestamp() - 30]), minute) is None  # one quote of today
    assert exchange_closed(np.array([math.nan]), minute) is None  # no quote carried a time: cannot tell
    assert exchange_closed(np.array([]), minute) is None
    just_after_midnight = datetime(2027, 1, 26, 0, 0, 1, tzinfo=IST).timestamp()
    assert exchange_closed(np.array([just_after_midnight]), minute) is None


def test_kite_times_parse_as_ist_whatever_form_they_arrive_in() -> None:
    naive = datetime(2026, 11, 19, 10, 5)  # what the kiteconnect client hands over
    expected = datetime(2026, 11, 19, 10, 5, tzinfo=IST).timestamp()
    assert exchange_seconds(naive) == expected == exchange_seconds("2026-11-19 10:05:00")
    assert exchange_seconds(datetime(2026, 11, 19, 4, 35, tzinfo=UTC)) == expected
    for bad in (None, "", "yesterday", 1763526900, "2026-13-19 10:05:00"):
        assert math.isnan(exchange_seconds(bad)), bad
    quoted = parse_quote({"last_price": 10.0, "timestamp": naive})
    assert quoted["exchange_timestamp"] == exchange_seconds(naive) and math.isnan(quoted["last_trade_time"])


def test_times_and_flags_as_stored() -> None:
    times = exchange_times(np.array([T0 + 0.7, math.nan]))
    assert times[0] == pd.Timestamp("2026-11-19 10:05:20", tz="Asia/Kolkata") and times[1] is pd.NaT
    assert as_stale_flags(pd.Series([True, np.nan, 0.0], dtype=object)).tolist() == [True, pd.NA, False]
    assert [describe_age(s) for s in (45, 200, 7800.5)] == ["45 s", "3 min 20 s", "2 h 10 min"]
