"""The running state of a master, on keys of any shape: the update worked out by hand, and a state file that gives
back every value exactly."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.history.running_master import FOLDED, LEFT_OUT, DayEntry, MasterState, RunningStats, digest

KEY = ["underlying", "sessions_to_expiry"]
METRICS = ["straddle", "iv"]
NAN = float("nan")


def _day(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*KEY, *METRICS])


def _two_days() -> RunningStats:
    stats = RunningStats(KEY, METRICS, alpha=0.25)
    stats.apply(_day([("NIFTY", 2, 10.0, 1.0), ("BANKNIFTY", 1, 4.0, NAN)]))
    stats.apply(_day([("NIFTY", 2, 16.0, 3.0), ("BANKNIFTY", 0, NAN, 5.0)]))
    return stats


def _row(frame: pd.DataFrame, underlying: str, sessions: int) -> pd.Series:
    return frame[(frame["underlying"] == underlying) & (frame["sessions_to_expiry"] == sessions)].iloc[0]


def test_the_update_by_hand_with_a_key_seen_late_and_a_missing_value() -> None:
    out = _two_days().frame()
    assert list(zip(out["underlying"], out["sessions_to_expiry"], strict=True)) == [
        ("BANKNIFTY", 0), ("BANKNIFTY", 1), ("NIFTY", 2)]  # in key order
    nifty = _row(out, "NIFTY", 2)
    assert nifty["straddle_mean"] == 13.0 and nifty["straddle_ema"] == 0.25 * 16 + 0.75 * 10
    assert nifty["iv_mean"] == 2.0 and nifty["iv_ema"] == 0.25 * 3 + 0.75 * 1
    assert nifty["counter"] == 2
    late = _row(out, "BANKNIFTY", 0)  # first seen on the second day, straddle missing
    assert np.isnan(late["straddle_mean"]) and np.isnan(late["straddle_ema"])
    assert late["iv_mean"] == late["iv_ema"] == 5.0 and late["counter"] == 1
    early = _row(out, "BANKNIFTY", 1)  # absent on the second day: as it was
    assert early["straddle_mean"] == early["straddle_ema"] == 4.0 and np.isnan(early["iv_mean"])
    assert early["counter"] == 1


def test_a_day_with_a_key_twice_is_refused() -> None:
    stats = RunningStats(KEY, METRICS, alpha=0.5)
    with pytest.raises(ValueError, match="one row per key"):
        stats.apply(_day([("NIFTY", 2, 1.0, 1.0), ("NIFTY", 2, 2.0, 2.0)]))


def test_the_state_file_gives_back_every_value_and_the_ledger() -> None:
    stats = _two_days()
    stats.apply(_day([("NIFTY", 2, 0.1 + 0.2, 1 / 3)]))  # values with no short decimal form
    days = {date(2026, 11, 2): DayEntry(FOLDED, "ab" * 16, ("kite",)), date(2026, 11, 9): DayEntry(LEFT_OUT)}
    state = MasterState({"alpha": 0.25, "key": KEY}, stats, days, generation=7)
    back = MasterState.from_bytes(state.to_bytes(), KEY, METRICS)
    assert back.params == {"alpha": 0.25, "key": KEY} and back.generation == 7 and back.days == days
    assert back.last_folded == date(2026, 11, 2)
    pd.testing.assert_frame_equal(back.stats.frame(), stats.frame(), check_exact=True)
    assert np.array_equal(back.stats.seen, stats.seen)
    back.stats.apply(_day([("BANKNIFTY", 1, 8.0, 2.0)]))
    stats.apply(_day([("BANKNIFTY", 1, 8.0, 2.0)]))
    pd.testing.assert_frame_equal(back.stats.frame(), stats.frame(), check_exact=True)


def test_the_digest_tells_days_apart_by_any_value_or_source() -> None:
    day = _day([("NIFTY", 2, 10.0, 1.0), ("BANKNIFTY", 1, 4.0, NAN)])
    same = digest(day.copy(), ["kite"])
    assert digest(day, ["kite"]) == same
    assert digest(day, ["synthetic"]) != same
    nudged = day.copy()
    nudged.loc[1, "straddle"] = np.nextafter(4.0, 5.0)
    assert digest(nudged, ["kite"]) != same
    renamed = day.copy()
    renamed.loc[0, "underlying"] = "FINNIFTY"
    assert digest(renamed, ["kite"]) != same
