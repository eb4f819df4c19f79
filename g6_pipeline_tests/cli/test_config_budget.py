"""`g6 config check` and `g6 diagnose` print the quote budget of today's dumps, and refuse a Kite configuration
that does not fit the minute, saying what to cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from g6_pipeline.cli.diagnose_checks import check_config, check_quote_budget, diagnose
from g6_pipeline.cli.main import main
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import now_ist
from g6_pipeline.instruments import InstrumentCache, dump_day
from g6_pipeline.process.setup import instrument_cache_dir
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.cli.diagnose_setup import context
from g6_pipeline_tests.fakes.config import REPO_CONFIG


def test_config_check_prints_the_budget_of_fo_stocks(g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("G6_UNDERLYINGS", "fo_stocks")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "207 underlyings (360ONE, ABB," in out
    assert "207 stocks: 9,108 option quotes (44 each)" in out
    assert "per minute: 20 quote calls (1 for 208 prices, 19 for 9,108 options), 9,316 instruments, 20.0 s" in out
    assert "fits the minute" in out


def cache_todays_dumps(data: Path) -> None:
    """Today's NFO and BFO dumps of the simulated market in the instrument cache, as Kite's would be."""
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    day = dump_day(now_ist())
    cache = InstrumentCache(instrument_cache_dir(DataLocation(str(data))))
    for exchange in ("NFO", "BFO"):
        cache.store(exchange, day, market.instruments(exchange, day))


def test_a_kite_configuration_over_the_minute_is_refused_with_what_to_cut(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = g6_env
    cache_todays_dumps(data)
    platform = json.loads((config / "platform_config.json").read_text())
    platform.update(provider="kite", underlyings=["indices", "fo_stocks"],
                    kinds={"stock": {"strikes_below": 15, "strikes_above": 15}})
    (config / "platform_config.json").write_text(json.dumps(platform))
    assert main(["config", "check"]) == 2
    captured = capsys.readouterr()
    assert "does NOT fit the minute" in captured.out
    assert "leave out the last " in captured.out and 'kinds.stock.expiry_tags ["this_month"]' in captured.out
    assert "quote calls a minute, 40 fit: cut as listed" in captured.err
    # with the stocks' defaults (five strikes a side) the same universe fits
    platform.update(kinds={})
    (config / "platform_config.json").write_text(json.dumps(platform))
    assert main(["config", "check"]) == 0


def test_diagnose_reports_the_budget(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"underlyings": ["indices", "RELIANCE", "TCS", "INFY"]})
    found = {f.name: f for f in diagnose(ctx, (("config", check_config), ("quote budget", check_quote_budget)))}
    budget = found["quote budget"]
    assert budget.status == "ok", budget.detail
    assert budget.detail.startswith("10 underlyings, ") and "quote calls a minute" in budget.detail
    assert "instruments" in budget.detail and "s of 40 s at 1 request/s: fits" in budget.detail
