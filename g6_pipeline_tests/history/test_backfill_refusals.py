"""Nothing overwrites collected data: a day collected through the real Kite client is refused, byte for byte
untouched (also with a replacement asked for), and today or a later day never receives simulated data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST, now_ist
from g6_pipeline.history.backfill import (
    BackfillRefusedError,
    backfill_synthetic,
    build_history,
    generate_synthetic_day,
)
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.classic_format import CLASSIC_COLUMNS
from g6_pipeline.storage.reader import read_chain
from g6_pipeline.storage.seal import seal_day
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import kite_server
from g6_pipeline_tests.history.history import file_hashes, setup_of, small_config

DAY = date(2026, 11, 23)


def _collect_through_kite(root: Path, minutes: list[datetime]) -> Path:
    """Collect `minutes` of NIFTY and SENSEX with the kite provider from the loopback Kite server."""
    clock = {"now": minutes[0]}
    with kite_server(SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG)), clock=lambda: clock["now"]) as server:
        config = write_kite_config(root, server.url)
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        for minute in minutes:
            clock["now"] = minute
            report = run_cycle(collector, minute)
            assert {o.status for o in report.indices.values()} == {"ok"}, [o.error for o in report.indices.values()]
    return config


def test_a_day_collected_through_kite_is_never_overwritten(tmp_path: Path) -> None:
    minutes = [datetime(2026, 11, 23, 10, m, tzinfo=IST) for m in range(3)]
    config = _collect_through_kite(tmp_path, minutes)
    data = tmp_path / "data"
    before = file_hashes(data)
    assert any(name.endswith(".parquet") for name in before)

    for replace in (False, True):
        report = backfill_synthetic(setup_of(config), DAY, DAY, replace=replace)
        assert [(o.index, o.outcome) for o in report.outcomes] == [("NIFTY", "refused"), ("SENSEX", "refused")]
        assert report.outcomes[0].line() == (
            "2026-11-23 NIFTY: refused: holds collected data (3 minutes of kite); never overwritten"
        )
        assert report.rows == 0
    with pytest.raises(BackfillRefusedError, match="2026-11-23 NIFTY: refused: holds collected data"):
        generate_synthetic_day(setup_of(config), DAY, ["NIFTY"])
    assert file_hashes(data) == before

    # the weekday-master path (generating missing days, sealing stored ones) seals the collected rows as they are
    stored = {ix: read_chain(setup_of(config).location, DAY, ix) for ix in ("NIFTY", "SENSEX")}
    outcomes, reports = build_history(setup_of(config), [DAY], ["NIFTY", "SENSEX"], generate="missing", workers=1)
    assert sum(o.rows for o in outcomes) == 0
    assert sorted((o.index, o.outcome) for o in outcomes) == [
        ("NIFTY", "refused"), ("NIFTY", "sealed"), ("SENSEX", "refused"), ("SENSEX", "sealed")]
    for ix, rows in stored.items():
        pd.testing.assert_frame_equal(read_chain(setup_of(config).location, DAY, ix), rows)
        assert seal_day(setup_of(config).location, DAY, ix, expected_minutes=375).sources == ("kite",)
    assert reports["NIFTY"][0].family == "collected"


def test_today_and_later_days_are_refused(tmp_path: Path) -> None:
    config = small_config(tmp_path, "SENSEX")
    setup = setup_of(config)
    today = now_ist().date()
    for day in (today, today + timedelta(days=7)):
        with pytest.raises(BackfillRefusedError, match=f"{day.isoformat()} SENSEX: refused: today or a later day"):
            generate_synthetic_day(setup, day, ["SENSEX"])
    assert not (tmp_path / "data" / "parquet").exists()


PAST = date(2026, 11, 20)
"""A past trading day with nothing stored but what a test puts there."""


def _classic_line(stamp: str) -> str:
    """One classic per-strike line of NIFTY's this_week ATM series (the original G6's layout)."""
    fields = dict.fromkeys(CLASSIC_COLUMNS, "")
    fields.update(timestamp=stamp, index="NIFTY", expiry_tag="this_week", expiry_date="2026-11-24", offset="0",
                  index_price="24010.5", atm="24000", strike="24000", ce="101.5", pe="92.25", tp="193.75")
    return ",".join(fields[c] for c in CLASSIC_COLUMNS) + "\n"


def test_a_collected_day_held_only_in_the_classic_csv_is_refused_and_untouched(tmp_path: Path) -> None:
    config = small_config(tmp_path, "NIFTY")
    setup = setup_of(config)
    csv = Path(setup.location.classic_csv("NIFTY", "this_week", 0, PAST).path)
    csv.parent.mkdir(parents=True)
    csv.write_text(",".join(CLASSIC_COLUMNS) + "\n" + _classic_line("20-11-2026 10:00:00"))
    before = file_hashes(tmp_path / "data")

    for replace in (False, True):
        report = backfill_synthetic(setup, PAST, PAST, replace=replace)
        assert [o.line() for o in report.outcomes] == [
            "2026-11-20 NIFTY: refused: holds collected data (1 minute of unknown source in classic CSV); "
            "never overwritten"]
    assert file_hashes(tmp_path / "data") == before


def test_a_day_with_influx_points_waiting_in_the_spool_is_refused(tmp_path: Path) -> None:
    config = small_config(tmp_path, "NIFTY")
    setup = setup_of(config)
    spool = Path(setup.location.influx_spool_dir().path)
    spool.mkdir(parents=True)
    at = int(datetime(2026, 11, 20, 10, 0, tzinfo=IST).timestamp())
    (spool / "points-1.lp").write_text(
        f"option_data,index=NIFTY,expiry=2026-11-24,type=CE,strike=24000 price=101.5,oi=1200 {at}\n"
        f"g6_cycle indices_collected=1i {at}\n")

    report = backfill_synthetic(setup, PAST, PAST)
    assert [(o.index, o.outcome) for o in report.outcomes] == [("NIFTY", "refused")]
    assert "1 Influx point spooled (source unknown)" in report.outcomes[0].message
    assert backfill_synthetic(setup, PAST - timedelta(days=1), PAST - timedelta(days=1)).outcomes[0].outcome == (
        "generated")  # the spooled point is of the 20th only
    assert not setup.location.exists(setup.location.sealed_file("options", PAST, "NIFTY"))


def test_a_simulated_day_whose_csv_holds_a_minute_of_unknown_source_is_not_replaced(tmp_path: Path) -> None:
    config = small_config(tmp_path, "NIFTY")
    setup = setup_of(config)
    assert [o.outcome for o in backfill_synthetic(setup, PAST, PAST).outcomes] == ["generated"]
    csv = Path(setup.location.classic_csv("NIFTY", "this_week", 0, PAST).path)
    with csv.open("a") as handle:  # a minute the simulated Parquet does not hold: its source cannot be told
        handle.write(_classic_line("20-11-2026 16:05:00"))
    before = file_hashes(tmp_path / "data")

    report = backfill_synthetic(setup, PAST, PAST, replace=True)
    assert [o.outcome for o in report.outcomes] == ["refused"]
    assert "375 minutes of synthetic; 1 minute of unknown source in classic CSV" in report.outcomes[0].message
    assert file_hashes(tmp_path / "data") == before
