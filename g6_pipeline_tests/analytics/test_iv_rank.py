"""IV rank and percentile against hand-worked series; the daily closes read from stored overview minutes."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from g6_pipeline.analytics import enrich
from g6_pipeline.analytics.iv_rank import iv_rank
from g6_pipeline.core.schema import EXPIRY_TAGS, TIMESTAMP
from g6_pipeline.core.snapshot import IvCloses, SessionReference
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.analytics.chains import IST, priced_chain, snapshot
from g6_pipeline_tests.analytics.test_enrich import FORWARD, RATE, SPOT, STRIKES, T_YEARS, _vol

# 20 closes: low 0.10, high 0.20; below 0.16 are 0.12, 0.10 and the seven 0.14s
SERIES = [0.12, 0.20, 0.10, *[0.14] * 7, *[0.18] * 10]


def test_hand_worked_rank_and_percentile() -> None:
    r = iv_rank(0.16, SERIES, min_sessions=20)
    assert r.status == "ok" and r.sessions == 20
    assert r.rank == pytest.approx(60.0)  # (0.16 − 0.10) / (0.20 − 0.10)
    assert r.percentile == pytest.approx(45.0)  # 9 of 20 days below


def test_short_history_is_nan_with_its_reason() -> None:
    r = iv_rank(0.16, SERIES[:19], min_sessions=20)
    assert math.isnan(r.rank) and math.isnan(r.percentile)
    assert (r.status, r.sessions) == ("short_history", 19)
    assert iv_rank(0.16, SERIES[:19], min_sessions=19).status == "ok"
    assert iv_rank(math.nan, SERIES).status == "no_atm_iv"


def test_only_the_trailing_sessions_count() -> None:
    # the oldest close (0.90) falls outside a 4-session period: low 0.10, high 0.30
    r = iv_rank(0.20, [0.90, 0.10, 0.30, 0.15, 0.25], min_sessions=2, sessions=4)
    assert r.sessions == 4 and r.rank == pytest.approx(50.0) and r.percentile == pytest.approx(50.0)


def test_today_outside_the_period_and_a_flat_period() -> None:
    high = iv_rank(0.25, SERIES)
    assert high.rank == pytest.approx(100.0) and high.percentile == pytest.approx(100.0)
    flat = iv_rank(0.15, [0.15] * 25)
    assert math.isnan(flat.rank) and flat.percentile == 0.0 and flat.status == "flat_history"


def test_overview_rows_carry_rank_percentile_and_history() -> None:
    legs = priced_chain(FORWARD, STRIKES, T_YEARS, RATE, _vol)
    atm_iv = enrich(snapshot(legs, spot=SPOT), RATE).overview["atm_iv_this_week"]
    closes = (atm_iv - 0.02, atm_iv + 0.02, *[atm_iv - 0.01] * 9, *[atm_iv + 0.01] * 9)
    ref = SessionReference(atm_iv_closes={"this_week": closes})
    row = enrich(snapshot(legs, spot=SPOT), RATE, ref).overview
    assert row["iv_rank_this_week"] == pytest.approx(50.0) and row["iv_percentile_this_week"] == pytest.approx(50.0)
    assert row["iv_rank_status_this_week"] == "ok" and row["iv_history_this_week"] == 20
    short = enrich(snapshot(legs, spot=SPOT), RATE, ref, iv_rank_min_sessions=21).overview
    assert math.isnan(short["iv_rank_this_week"]) and short["iv_rank_status_this_week"] == "short_history"
    assert row["iv_rank_status_next_week"] == "" and row["iv_history_next_week"] == 0  # not collected


def _write_overview(
    path: Path, day: date, minutes: list[tuple[int, int]], ivs: list[float], source: str = "kite"
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    stamps = [datetime(day.year, day.month, day.day, h, m, tzinfo=IST) for h, m in minutes]
    columns: dict[str, pa.Array] = {"timestamp": pa.array(stamps, type=TIMESTAMP),
                                    "source": pa.array([source] * len(stamps), type=pa.string())}
    for i, tag in enumerate(EXPIRY_TAGS):
        columns[f"atm_iv_{tag}"] = pa.array([v + i / 100 for v in ivs], type=pa.float64())
    pq.write_table(pa.table(columns), path)


def test_daily_closes_are_each_days_last_stored_minute(tmp_path: Path) -> None:
    loc = DataLocation(tmp_path)
    days = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]
    # sealed days (minutes out of order in the file) and a day still in minute slices
    _write_overview(Path(loc.sealed_file("overview", days[0], "NIFTY").path),
                    days[0], [(15, 29), (9, 15)], [0.11, 0.90])
    _write_overview(Path(loc.sealed_file("overview", days[1], "NIFTY").path), days[1], [(9, 15), (15, 29)], [0.90, 0.12])
    for (h, m), iv in (((9, 15), 0.90), ((15, 29), 0.13)):
        _write_overview(Path(loc.minute_slice("overview", days[2], "NIFTY", datetime(2026, 1, 1, h, m)).path),
                        days[2], [(h, m)], [iv])
    _write_overview(Path(loc.sealed_file("overview", days[3], "NIFTY").path), days[3], [(15, 29)], [0.99])  # today
    _write_overview(Path(loc.sealed_file("overview", days[0], "BANKNIFTY").path), days[0], [(15, 29)], [0.5])
    history = DailyCloses(loc).history("NIFTY", days[3], sessions=252)
    np.testing.assert_allclose(history["this_week"], [0.11, 0.12, 0.13])
    assert history.sources["this_week"] == ("kite", "kite", "kite")
    np.testing.assert_allclose(history["next_month"], [0.14, 0.15, 0.16])
    assert DailyCloses(loc).history("NIFTY", days[3], sessions=2)["this_week"] == pytest.approx((0.12, 0.13))
    # kept: a new reader finds the closes even when the day's files are gone
    Path(loc.sealed_file("overview", days[0], "NIFTY").path).unlink()
    again = DailyCloses(loc).history("NIFTY", days[3], sessions=252)
    np.testing.assert_allclose(again["this_week"], [0.11, 0.12, 0.13])


def test_a_collected_minute_is_ranked_on_collected_and_bhavcopy_closes_and_says_so() -> None:
    legs = priced_chain(FORWARD, STRIKES, T_YEARS, RATE, _vol)
    atm_iv = enrich(snapshot(legs, spot=SPOT), RATE).overview["atm_iv_this_week"]
    # two bhavcopy closes below, one collected close above, and a simulated close far above that must not count
    closes = IvCloses({"this_week": (atm_iv - 0.04, atm_iv - 0.02, atm_iv + 0.50, atm_iv + 0.04)},
                      {"this_week": ("bhavcopy", "bhavcopy", "synthetic", "kite")})
    ref = SessionReference(atm_iv_closes=closes)
    row = enrich(snapshot(legs, spot=SPOT, provider="kite"), RATE, ref, iv_rank_min_sessions=3).overview
    # low atm_iv − 0.04, high atm_iv + 0.04: rank 50; two of three closes below: percentile 66.7
    assert row["iv_history_this_week"] == 3 and row["iv_history_source_this_week"] == "collected+bhavcopy"
    assert row["iv_rank_this_week"] == pytest.approx(50.0) and row["iv_percentile_this_week"] == pytest.approx(200 / 3)
    simulated = enrich(snapshot(legs, spot=SPOT, provider="synthetic"), RATE, ref, iv_rank_min_sessions=1).overview
    assert simulated["iv_history_this_week"] == 1 and simulated["iv_history_source_this_week"] == "simulated"
    assert simulated["iv_percentile_this_week"] == 0.0  # the one simulated close (+0.50) is above today
    only_bhavcopy = IvCloses({"this_week": (atm_iv - 0.04,)}, {"this_week": ("bhavcopy",)})
    first = enrich(snapshot(legs, spot=SPOT, provider="kite"), RATE, SessionReference(atm_iv_closes=only_bhavcopy),
                   iv_rank_min_sessions=1).overview
    assert first["iv_history_source_this_week"] == "bhavcopy" and first["iv_percentile_this_week"] == 100.0
    plain = enrich(snapshot(legs, spot=SPOT), RATE, SessionReference(atm_iv_closes={"this_week": (0.1,)})).overview
    assert plain["iv_history_source_this_week"] == "unknown"
    assert plain["iv_history_source_next_week"] == ""  # not collected


def test_closes_kept_by_an_earlier_version_without_their_source_are_read_again(tmp_path: Path) -> None:
    loc = DataLocation(tmp_path)
    day, today = date(2026, 11, 16), date(2026, 11, 17)
    _write_overview(Path(loc.sealed_file("overview", day, "NIFTY").path), day, [(15, 29)], [0.11], "bhavcopy")
    kept = Path(loc.daily_closes_file("NIFTY").path)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps({day.isoformat(): {"this_week": 0.5}}))  # no source: an earlier version's
    history = DailyCloses(loc).history("NIFTY", today, sessions=252)
    assert history["this_week"] == pytest.approx((0.11,)) and history.sources["this_week"] == ("bhavcopy",)
    assert json.loads(kept.read_text())[day.isoformat()]["source"] == "bhavcopy"
