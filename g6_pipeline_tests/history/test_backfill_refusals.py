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
            assert {o.status for o in report.indices.values()} == {"ok"}
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
