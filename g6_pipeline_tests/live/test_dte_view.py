"""The days-to-expiry master behind the page's intraday charts: backfilled days folded by `g6 backfill`'s path, the
bands of the viewed day's sessions to expiry worked out again from the stored overviews."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_overview
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.live.chain_api import answer
from g6_pipeline_tests.history.history import setup_of, small_config

# 1 session before this week's expiry each (Tuesday 24 Nov 2026 is a holiday: that week's expiry is Monday 23)
ONE_LEFT = (date(2026, 11, 16), date(2026, 11, 20))
TWO_LEFT = date(2026, 11, 13)  # Friday before the Tuesday 17 expiry: Monday, Tuesday


def test_the_intraday_view_carries_the_typical_day_at_the_same_sessions_to_expiry(tmp_path: Path) -> None:
    setup = setup_of(small_config(tmp_path, "NIFTY"))
    for day in (*ONE_LEFT, TWO_LEFT):
        backfill_synthetic(setup, day, day, ["NIFTY"], workers=1)
    data = str(setup.location.root)
    query = {"index": ["NIFTY"], "day": [ONE_LEFT[1].isoformat()], "expiry": ["this_week"]}
    status, body = answer("/api/intraday", query, setup.location, calendar=setup.calendar)
    assert status == 200, body
    dte = body["dte_master"]
    assert dte is not None and dte["sessions_to_expiry"] == 1 and dte["days"] == 2
    # 10:00 is minute 45 of the session: its median over the two days, from the overviews as stored
    at = dte["times"].index("10:00")
    straddles = [load_overview(d, "NIFTY", data_dir=data).set_index("timestamp")
                 .loc[pd.Timestamp(datetime(d.year, d.month, d.day, 10, 0, tzinfo=IST)), "straddle_this_week"] for d in ONE_LEFT]
    assert dte["straddle"]["p50"][at] == pytest.approx(float(np.median([float(s) for s in straddles])))  # type: ignore[arg-type]
    assert dte["straddle"]["p10"][at] <= dte["straddle"]["p50"][at] <= dte["straddle"]["p90"][at]
    # the Friday two sessions out has a master of one day: its own
    query["day"] = [TWO_LEFT.isoformat()]
    _, body = answer("/api/intraday", query, setup.location, calendar=setup.calendar)
    assert body["dte_master"]["sessions_to_expiry"] == 2 and body["dte_master"]["days"] == 1
    # without a calendar the view says nothing rather than guess
    _, body = answer("/api/intraday", query, setup.location)
    assert body["dte_master"] is None
