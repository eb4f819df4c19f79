"""The weekday master: mean and EMA against a hand computation, idempotence and order independence."""

from __future__ import annotations

import json
import os
from datetime import date, time
from pathlib import Path

import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.data import load_weekday_master
from g6_pipeline.history.weekday_master import MASTER_COLUMNS, update_range, update_weekday_master
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.reader import read_weekday_master
from g6_pipeline_tests.fakes.chains import make_chain, minute

MONDAYS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
TUESDAY = date(2026, 11, 17)
SPOTS = {MONDAYS[0]: 24_000.0, MONDAYS[1]: 24_040.0, MONDAYS[2]: 23_960.0, TUESDAY: 24_500.0}
SIGMAS = {MONDAYS[0]: 0.12, MONDAYS[1]: 0.15, MONDAYS[2]: 0.20, TUESDAY: 0.30}


def _store(
    location: DataLocation, day: date, drop: tuple[tuple[str, int, str], ...] = ()
) -> list[EnrichedChain]:
    chains = [
        make_chain("NIFTY", minute(day, m), spot=SPOTS[day] + i, sigma=SIGMAS[day], drop=drop)
        for i, m in enumerate(("0915", "0916"))
    ]
    ParquetSink(location).write_day(chains)
    return chains


def _tp(chain, tag: str = "this_week", offset: int = 0) -> float:  # type: ignore[no-untyped-def]
    o = chain.options
    legs = o[(o.expiry_tag == tag) & (o.offset == offset)]
    return round(float(legs["last_price"].sum()), 2)


def _snapshot(location: DataLocation) -> dict[str, bytes]:
    root = location.weekday_master_root().path
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".csv"):
                files[os.path.relpath(os.path.join(folder, name), root)] = Path(folder, name).read_bytes()
    return files


def test_mean_and_ema_match_a_hand_computation(location: DataLocation, calendar: MarketCalendar) -> None:
    stored = {day: _store(location, day) for day in [*MONDAYS, TUESDAY]}
    alpha = 0.3
    for day in [*MONDAYS, TUESDAY]:
        update_weekday_master(location, day, "NIFTY", alpha, calendar)
    master = read_weekday_master(location, "NIFTY", "this_week", 0, "monday")
    assert tuple(master.columns) == MASTER_COLUMNS
    assert master["timestamp"].tolist() == ["09:15:00", "09:16:00"]
    for row_no in (0, 1):
        xs = [_tp(stored[d][row_no]) for d in MONDAYS]
        ema = xs[0]
        for x in xs[1:]:
            ema = alpha * x + (1 - alpha) * ema
        row = master.iloc[row_no]
        assert row["tp_mean"] == pytest.approx(sum(xs) / 3)
        assert row["tp_ema"] == pytest.approx(ema)
        assert row["ce_iv_mean"] == pytest.approx(sum(SIGMAS[d] for d in MONDAYS) / 3)
        assert row["counter"] == 3
        assert (row["index"], row["expiry_tag"], row["offset"]) == ("NIFTY", "this_week", 0)
    tuesday = load_weekday_master("NIFTY", "this_week", 0, 1, data_dir=str(location.root))  # the notebook face
    assert tuesday["counter"].tolist() == [1, 1]
    assert tuesday["pe_iv_ema"].tolist() == pytest.approx([0.30, 0.30])


def test_a_missing_value_is_skipped_not_counted_as_zero(
    location: DataLocation, calendar: MarketCalendar
) -> None:
    stored = {
        d: _store(location, d, drop=(("this_week", 0, "PE"),) if d == MONDAYS[1] else ()) for d in MONDAYS
    }
    update_range(location, MONDAYS, "NIFTY", 0.5, calendar)
    row = read_weekday_master(location, "NIFTY", "this_week", 0, "MONDAY").iloc[0]
    xs = [_tp(stored[MONDAYS[0]][0]), _tp(stored[MONDAYS[2]][0])]
    assert row["tp_mean"] == pytest.approx(sum(xs) / 2)
    assert row["tp_ema"] == pytest.approx(0.5 * xs[1] + 0.5 * xs[0])
    assert row["ce_iv_mean"] == pytest.approx(sum(SIGMAS[d] for d in MONDAYS) / 3)
    assert row["counter"] == 3


def test_twice_or_out_of_order_gives_identical_files(
    location: DataLocation, calendar: MarketCalendar, tmp_path: Path
) -> None:
    days = [*MONDAYS, TUESDAY]
    in_order = location
    for day in days:
        _store(in_order, day)
        update_weekday_master(in_order, day, "NIFTY", 0.5, calendar)
    expected = _snapshot(in_order)
    assert len(expected) == 2 * 2 * 7  # two weekdays × two tags × seven offsets

    update_weekday_master(in_order, MONDAYS[1], "NIFTY", 0.5, calendar)
    update_weekday_master(in_order, MONDAYS[1], "NIFTY", 0.5, calendar)
    assert _snapshot(in_order) == expected

    shuffled = DataLocation(tmp_path / "shuffled")
    for day in (MONDAYS[2], TUESDAY, MONDAYS[0], MONDAYS[1]):
        _store(shuffled, day)
        update_weekday_master(shuffled, day, "NIFTY", 0.5, calendar)
    assert _snapshot(shuffled) == expected

    ranged = DataLocation(tmp_path / "ranged")
    for day in days:
        _store(ranged, day)
    reports = update_range(ranged, reversed(days), "NIFTY", 0.5, calendar)
    assert _snapshot(ranged) == expected
    assert [r.day for r in reports] == sorted(days)
    monday = reports[-2]
    assert monday.days_folded == tuple(MONDAYS) and monday.ok and monday.rows == 28


def test_quality_report_names_a_missing_sealed_day(location: DataLocation, calendar: MarketCalendar) -> None:
    _store(location, MONDAYS[0])
    good, missing = update_range(location, [MONDAYS[0], MONDAYS[1]], "NIFTY", 0.5, calendar)
    assert good.ok and not missing.ok
    assert missing.issues[0].severity == "critical" and "no sealed option file" in missing.issues[0].message
    assert missing.days_folded == (MONDAYS[0],)
    written = json.loads(Path(missing.quality_path).read_text())
    assert written["day"] == "2026-11-09"
    assert written["issues"][0]["severity"] == "critical" and written["days_folded"] == ["2026-11-02"]


def test_alpha_out_of_range_is_rejected(location: DataLocation, calendar: MarketCalendar) -> None:
    _store(location, MONDAYS[0])
    with pytest.raises(ValueError, match="alpha"):
        update_weekday_master(location, MONDAYS[0], "NIFTY", 0.0, calendar)


def test_the_session_hours_come_from_the_calendar(location: DataLocation) -> None:
    _store(location, MONDAYS[0])
    late_open = MarketCalendar({}, frozenset({2026}), {}, open_time=time(9, 16), close_time=time(15, 30))
    update_weekday_master(location, MONDAYS[0], "NIFTY", 0.5, late_open)
    assert read_weekday_master(location, "NIFTY", "this_week", 0, 0)["timestamp"].tolist() == ["09:16:00"]
    early_close = MarketCalendar({}, frozenset({2026}), {}, open_time=time(9, 0), close_time=time(9, 10))
    report = update_weekday_master(location, MONDAYS[0], "NIFTY", 0.5, early_close)
    assert [i.message for i in report.issues] == ["no rows between 09:00:00 and 09:10:00"]


def test_a_bad_weekday_is_refused(location: DataLocation) -> None:
    with pytest.raises(ValueError, match="not a weekday"):
        read_weekday_master(location, "NIFTY", "this_week", 0, "someday")
    with pytest.raises(FileNotFoundError, match="no weekday master"):
        read_weekday_master(location, "NIFTY", "this_week", 0, "friday")
