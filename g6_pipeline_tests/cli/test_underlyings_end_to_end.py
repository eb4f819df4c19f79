"""Any underlying, end to end, against the loopback Kite server through the real `kiteconnect` client: three
further indices (MIDCPNIFTY, NIFTYNXT50, BANKEX) and three stocks (RELIANCE, TCS, M&M) beside NIFTY are
collected minute by minute, sealed as Dagster partitions (`M&M` included), and shown by every view: `g6 chain`,
`g6 summary`, `/api/chain`, the search of `/api/underlyings` and the page's search box in Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from playwright.sync_api import expect

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.core.underlyings import fo_stocks
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.live.server import LiveServer
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.daily import materialize_day
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, write_kite_config
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 11, 23, tzinfo=IST).date()
MINUTES = [datetime(2026, 11, 23, 15, 25, tzinfo=IST) + timedelta(minutes=k) for k in range(5)]
NAMES = ["NIFTY", "MIDCPNIFTY", "NIFTYNXT50", "BANKEX", "RELIANCE", "TCS", "M&M"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, KiteServerHandle]]:
    """(config, data) of five minutes of the seven underlyings collected through the loopback Kite server."""
    root = tmp_path_factory.mktemp("underlyings")
    clock = {"now": MINUTES[0]}
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = write_kite_config(root, server.url)
        (config / "indices_config.json").unlink()
        platform = json.loads((config / "platform_config.json").read_text())
        platform.update(underlyings=NAMES, kinds={"index": {"strikes_below": 2, "strikes_above": 2, "wings": False},
                                                  "stock": {"strikes_below": 2, "strikes_above": 2}})
        (config / "platform_config.json").write_text(json.dumps(platform))
        collector = Collector.from_settings(load_settings(config, environ={}))
        for minute in MINUTES:
            clock["now"] = minute + timedelta(seconds=5)
            report = run_cycle(collector, clock["now"])
            assert {n: o.status for n, o in report.indices.items()} == dict.fromkeys(NAMES, "ok"), report.indices
        # the account has no historical-data add-on: sealing repairs nothing and goes on
        server.fail_during("/instruments/historical", "permission", MINUTES[0], MINUTES[0] + timedelta(days=2))
        yield config, root / "data", server


def test_every_underlying_is_collected_with_its_own_contracts(collected: tuple[Path, Path, KiteServerHandle]) -> None:
    _, data, server = collected
    quotes = [p for _, _, p in server.requests if p.startswith("/quote")]
    prices = urllib.parse.unquote_plus(quotes[0])
    for key in ("NSE:NIFTY MID SELECT", "NSE:NIFTY NEXT 50", "BSE:BANKEX", "NSE:RELIANCE", "NSE:TCS", "NSE:M&M"):
        assert f"i={key}" in prices  # each underlying's own price, in the first call of the minute
    for name in NAMES:
        chain = load_chain(DAY, name, data_dir=str(data))
        assert len(chain["timestamp"].unique()) == 5 and set(chain["index"]) == {name}
        assert chain["tradingsymbol"].str.startswith(name).all() and chain["source"].eq("kite").all()
        assert chain["iv"].notna().mean() > 0.7  # NIFTY's weekly expires this afternoon: its last minutes price few IVs
    mm = load_chain(DAY, "M&M", data_dir=str(data))
    assert set(mm["lot_size"]) == {fo_stocks()["M&M"].lot_size} and set(mm["expiry_tag"]) == {"this_month", "next_month"}
    bankex = load_chain(DAY, "BANKEX", data_dir=str(data))
    assert {e.weekday() for e in bankex["expiry"]} == {3}  # BSE's Thursday


def test_each_underlying_seals_as_its_own_partition(collected: tuple[Path, Path, KiteServerHandle]) -> None:
    config, data, _ = collected
    with dg.instance_for_test() as instance:
        for name in ("MIDCPNIFTY", "M&M"):
            result = materialize_day(instance, config, DAY, name, raise_on_error=False)
            checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
            assert checks["completeness"] is False and checks["no_duplicates"] is True  # 5 of 375 minutes
        assert instance.get_materialized_partitions(dg.AssetKey("option_chain_daily")) == {
            "2026-11-23|MIDCPNIFTY", "2026-11-23|M&M"}
    for name in ("MIDCPNIFTY", "M&M"):
        assert (data / "parquet" / "options" / "date=2026-11-23" / name / "day.parquet").is_file()
        assert len(load_overview(DAY, name, data_dir=str(data))) == 5


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "G6_CONFIG_DIR": str(config), "COLUMNS": "120", "PYTHONPATH": str(REPO)}
    for var in ("G6_PROVIDER", "G6_DATA_DIR", "G6_UNDERLYINGS"):
        env.pop(var, None)
    return subprocess.run([sys.executable, "-m", "g6_pipeline.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_terminal_views_show_any_underlying(collected: tuple[Path, Path, KiteServerHandle]) -> None:
    config, data, _ = collected
    chain = _cli(config, "chain", "reliance", "--day", DAY.isoformat(), "--expiry", "this_month")
    assert chain.returncode == 0, chain.stderr
    last = load_chain(DAY, "RELIANCE", data_dir=str(data))
    last = last[(last["timestamp"] == last["timestamp"].max()) & (last["expiry_tag"] == "this_month")]
    assert "RELIANCE" in chain.stdout and "15:29" in chain.stdout
    for strike in sorted(set(last["strike"])):
        assert f"{strike:,.0f}" in chain.stdout
    unknown = _cli(config, "chain", "RELIANC")
    assert unknown.returncode == 2 and "closest: RELIANCE" in unknown.stderr
    summary = _cli(config, "summary", "--once", "--no-rich", "--sort", "name")
    rows = [line.split()[0] for line in summary.stdout.splitlines() if line.split() and line.split()[0] in NAMES]
    assert rows[: len(NAMES)] == sorted(NAMES)
    assert f"underlyings 1-{len(NAMES)} of {len(NAMES)} (sorted by name)" in summary.stdout


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_api_and_the_page_find_and_show_any_underlying(
    collected: tuple[Path, Path, KiteServerHandle], browser: Any
) -> None:
    _, data, _ = collected
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1) as server:
        status, body = _get(f"{server.url}/api/chain?index=M%26M&day={DAY.isoformat()}")
        assert status == 200 and body["index"] == "M&M" and body["rows"]
        status, body = _get(f"{server.url}/api/chain?index=DOWJONES&day={DAY.isoformat()}")
        assert status == 400 and body["parameter"] == "index" and "unknown underlying" in body["error"]
        status, found = _get(f"{server.url}/api/underlyings?q=mid")
        assert status == 200 and found["underlyings"][0]["name"] == "MIDCPNIFTY" and found["underlyings"][0]["stored"]
        status, found = _get(f"{server.url}/api/underlyings?q=industries&limit=50")
        names = [u["name"] for u in found["underlyings"]]
        assert "RELIANCE" in names and found["total"] >= len(names)  # by the company's name
        assert next(u for u in found["underlyings"] if u["name"] == "RELIANCE")["stored"]

        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/?index=NIFTY&day={DAY.isoformat()}")
        page.wait_for_selector("#chain[data-updates]", timeout=15_000)
        page.fill("#chain-search", "reli")
        page.wait_for_selector("#chain-names option[value='RELIANCE']", state="attached", timeout=10_000)
        page.fill("#chain-search", "RELIANCE")
        page.dispatch_event("#chain-search", "change")
        expect(page.locator("#chain-index")).to_have_value("RELIANCE", timeout=10_000)
        lot = fo_stocks()["RELIANCE"].lot_size
        expect(page.locator("#chain-units")).to_contain_text(f"lots of {lot}", timeout=15_000)
        strikes = page.eval_on_selector_all("#chain-rows tr", "trs => trs.map(tr => Number(tr.dataset.strike))")
        stored = load_chain(DAY, "RELIANCE", data_dir=str(data))
        assert strikes and set(strikes) <= set(stored["strike"])
        assert errors == []
