"""The dashboard in a real headless Chromium: loads, shows the indices, follows new cycles, escapes values."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import IndexOutcome
from g6_pipeline.live import publish
from g6_pipeline.live.server import LiveServer
from g6_pipeline_tests.fakes.browser import ARTIFACTS
from g6_pipeline_tests.live.builders import SPOTS, make_report, make_settings, ok_outcome, tag_values

pytestmark = pytest.mark.slow
HOSTILE = '<script>window.__g6_xss = 1</script><img src=x onerror="window.__g6_xss = 2">'




def _cycle(data_dir: Path, minute: datetime, nifty_spot: float, straddle: float, error: str | None = None) -> None:
    outcomes = {name: ok_outcome(name, minute) for name in SPOTS}
    outcomes["NIFTY"] = ok_outcome("NIFTY", minute, spot=nifty_spot,
                                   tags={"this_week": tag_values(straddle=straddle, pcr=0.9 + straddle / 10_000,
                                                                 iv_rank=45.4, iv_history=212, gex=2.5e9,
                                                                 iv_history_source="collected+bhavcopy")})
    outcomes["SENSEX"] = ok_outcome("SENSEX", minute, tags={"this_week": tag_values(
        atm=80000.0, max_pain=80100.0, iv_history=3, iv_history_source="bhavcopy")})
    if error is not None:
        outcomes["FINNIFTY"] = IndexOutcome("FINNIFTY", "failed", error=error, legs_expected=42)
    publish(make_report(minute, outcomes), make_settings(str(data_dir)), str(data_dir), now=minute + timedelta(seconds=7))


def test_dashboard_in_headless_chromium(tmp_path: Path, browser: Any) -> None:
    start = datetime.now(IST).replace(second=0, microsecond=0) - timedelta(minutes=20)
    for step in range(20):
        _cycle(tmp_path, start + timedelta(minutes=step), 22400.0 + step, 200.0 + (step % 5) * 4)

    server = LiveServer(tmp_path, port=0, poll_seconds=0.1, heartbeat_seconds=1)
    server.start()
    # without the page's Content-Security-Policy, so that only the page's escaping stands between a
    # hostile value and the DOM
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server.url + "/")
        page.wait_for_selector('article[data-index="SENSEX"]', timeout=10_000)
        cards = page.locator("article.card")
        assert [cards.nth(i).get_attribute("data-index") for i in range(cards.count())] == list(SPOTS)
        nifty = page.locator('article[data-index="NIFTY"]')
        assert nifty.locator(".ltp").inner_text() == "22,419.00"
        assert nifty.locator(".spark-straddle polyline").count() >= 1
        assert page.locator("#connection").inner_text() == "connected"
        assert page.locator("#freshness").inner_text().startswith("live")
        facts = dict(zip(nifty.locator("dt").all_inner_texts(), nifty.locator("dd").all_inner_texts(), strict=True))
        # 45.4 and 55.4 rounded, and what the daily closes are; 2.5e9 rupees is 250 crore
        assert facts["IV rank/pct"] == "45/55 collected+bhavcopy" and facts["GEX ₹cr/1%"] == "+250.0"
        sensex = page.locator('article[data-index="SENSEX"]')
        sensex_facts = dict(zip(sensex.locator("dt").all_inner_texts(), sensex.locator("dd").all_inner_texts(),
                                strict=True))
        assert sensex_facts["IV rank/pct"] == "- (3 bhavcopy closes)" and sensex_facts["GEX ₹cr/1%"] == "-"

        # a new cycle arrives: the page follows without a reload
        _cycle(tmp_path, start + timedelta(minutes=20), 22555.25, 230.0, error=HOSTILE)
        expect(nifty.locator(".ltp")).to_have_text("22,555.25", timeout=10_000)
        finnifty = page.locator('article[data-index="FINNIFTY"]')
        expect(finnifty.locator(".note")).to_have_count(1, timeout=10_000)
        # the hostile text is shown literally and nothing in it ran or became markup
        assert finnifty.locator(".note").inner_text() == HOSTILE
        expect(page.locator("#alert-list")).to_contain_text(HOSTILE, timeout=10_000)  # its own panel event
        assert page.evaluate("window.__g6_xss") is None
        assert page.locator("main img").count() == 0
        assert page.locator("main script").count() == 0
        assert finnifty.locator(".status").inner_text() == "failed"
        assert errors == []

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    finally:
        context.close()
        server.stop()


def test_dashboard_reconnects_after_a_server_restart(tmp_path: Path, browser: Any) -> None:
    minute = datetime.now(IST).replace(second=0, microsecond=0)
    _cycle(tmp_path, minute, 22400.0, 200.0)
    server = LiveServer(tmp_path, port=0, poll_seconds=0.1, heartbeat_seconds=1)
    server.start()
    host, port = server.address
    page = browser.new_page()
    try:
        page.goto(server.url + "/")
        page.wait_for_selector('article[data-index="NIFTY"]', timeout=10_000)
        server.stop()
        expect(page.locator("#connection")).not_to_have_text("connected", timeout=10_000)
        _cycle(tmp_path, minute + timedelta(minutes=1), 22444.5, 201.0)
        server = LiveServer(tmp_path, host=host, port=port, poll_seconds=0.1, heartbeat_seconds=1)
        server.start()
        expect(page.locator('article[data-index="NIFTY"] .ltp')).to_have_text("22,444.50", timeout=20_000)
        expect(page.locator("#connection")).to_have_text("connected")
    finally:
        page.close()
        server.stop()
