"""The chain screen in a real headless Chromium: numbers equal the stored Parquet, selectors, SSE, render time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from g6_pipeline.live import publish
from g6_pipeline.live.server import LiveServer
from g6_pipeline_tests.fakes.browser import ARTIFACTS
from g6_pipeline_tests.live.builders import make_report, make_settings
from g6_pipeline_tests.live.chain_days import INDICES, IST, LAST, at_minute, backfill, legs, stored_rows

pytestmark = pytest.mark.slow
FULL = {**INDICES, "NIFTY": {**INDICES["NIFTY"], "strikes_below": 10, "strikes_above": 10,
                             "expiry_tags": ["this_week", "next_week", "this_month", "next_month"]}}  # fmt: skip
NEXT_DAY = date(2026, 11, 23)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path
    _, data = backfill(root, FULL, LAST - timedelta(days=1), LAST)
    server = LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1, heartbeat_seconds=1)
    server.start()
    try:
        yield server, root
    finally:
        server.stop()


def _number(text: str) -> float | None:
    return None if text == "-" else float(text.replace(",", "").replace("+", "").replace("%", ""))


def _table(page: Page) -> dict[float, dict[str, str]]:
    rows = page.eval_on_selector_all(
        "#chain-rows tr",
        "trs => trs.map(tr => [tr.dataset.strike, tr.className, Array.from(tr.cells).map(td => "
        "[(td.dataset.side || '') + ':' + td.dataset.field, td.textContent, td.className])])",
    )
    table = {}
    for strike, row_class, cells in rows:
        entry = {key: text for key, text, _ in cells}
        entry["row_class"] = row_class
        entry.update({key + "#class": cls for key, _, cls in cells})
        table[float(strike)] = entry
    return table


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chain[data-updates]", timeout=15_000)


def _check_minute(page: Page, data: Path, tag: str, hhmm: str) -> None:
    stored = legs(at_minute(stored_rows(data, "options", LAST, "NIFTY"), LAST, hhmm), tag)
    table = _table(page)
    assert sorted(table) == sorted({k for k, _ in stored})
    first = next(iter(stored.values()))
    for strike, cells in table.items():
        for side in ("CE", "PE"):
            leg, s = stored[(strike, side)], side.lower()
            assert _number(cells[f"{s}:oi"]) == leg["oi"] and _number(cells[f"{s}:volume"]) == leg["volume"]
            assert _number(cells[f"{s}:oi_change"]) == leg["oi_change"]  # a missing change shows as a dash
            for field, column in (("ltp", "last_price"), ("bid", "bid"), ("ask", "ask")):
                assert _number(cells[f"{s}:{field}"]) == pytest.approx(leg[column], abs=0.005)
            assert _number(cells[f"{s}:iv"]) == pytest.approx(100 * leg["iv"], abs=0.005)
            itm = strike < first["forward"] if side == "CE" else strike > first["forward"]
            assert ("itm" in cells[f"{s}:oi#class"].split()) == itm
        assert ("atm" in cells["row_class"].split()) == (strike == first["atm"])
    overview = at_minute(stored_rows(data, "overview", LAST, "NIFTY"), LAST, hhmm).to_pylist()[0]
    marked = [k for k, cells in table.items() if "max-pain" in cells[":strike#class"]]
    assert marked == [overview[f"max_pain_{tag}"]]


def test_chain_numbers_selectors_and_render_time(served: tuple[LiveServer, Path], browser: Any) -> None:
    server, root = served
    data = root / "data"
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _open(page, server.url + f"/?index=NIFTY&day={LAST.isoformat()}&at=10:30")
        _check_minute(page, data, "this_week", "10:30")
        assert page.locator("#chain-expiry option").count() == 4
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chain.png"), full_page=True)

        before = page.get_attribute("#chain", "data-updates")
        page.select_option("#chain-expiry", "next_week")
        expect(page.locator("#chain")).not_to_have_attribute("data-updates", str(before), timeout=10_000)
        _check_minute(page, data, "next_week", "10:30")
        assert page.locator("#smile-chart polyline").count() >= 2 and page.locator("#oi-chart rect").count() > 0
        assert page.locator("#straddle-chart polyline.master").count() == 1

        stored_ms, stored_strikes = float(page.get_attribute("#chain", "data-render-ms") or "nan"), len(_table(page))
        # a full chain: the stored rows repeated to 201 strikes, rendered 20 times
        result = page.evaluate("""async () => {
            const r = await fetch('/api/chain?index=NIFTY&expiry=next_week&at=10:30&day=2026-11-20');
            const chain = await r.json();
            const rows = [];
            for (let i = 0; rows.length < 201; i++) rows.push(...chain.rows.map(x => ({...x, strike: x.strike + 5000 * i})));
            const full = {...chain, rows: rows.slice(0, 201)};
            const times = [];
            for (let i = 0; i < 20; i++) { const t = performance.now(); window.G6Chain.renderChain(full);
              document.body.offsetHeight; times.push(performance.now() - t); }
            times.sort((a, b) => a - b);
            return {median: times[10],
                    max: times[19], rows: document.querySelectorAll('#chain-rows tr').length};
        }""")
        print(f"\nchain render: stored {stored_strikes}-strike chain {stored_ms:.1f} ms; "
              f"{result['rows']} strikes median {result['median']:.1f} ms, max {result['max']:.1f} ms")
        assert result["rows"] == 201

        page.select_option("#chain-index", "BANKNIFTY")
        expect(page.locator("#chain-expiry option")).to_have_count(1, timeout=10_000)
        banknifty = legs(at_minute(stored_rows(data, "options", LAST, "BANKNIFTY"), LAST, "10:30"), "this_month")
        expect(page.locator("#chain-rows tr")).to_have_count(len({k for k, _ in banknifty}), timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "chain-banknifty.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_chain_follows_a_new_minute_over_sse(served: tuple[LiveServer, Path], browser: Any) -> None:
    server, root = served
    minute = datetime.now(IST).replace(second=0, microsecond=0)
    publish(make_report(minute), make_settings(str(root / "data")))
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = context.new_page()
    try:
        _open(page, server.url + "/?index=NIFTY")
        expect(page.locator("#chain-summary")).to_contain_text(f"{LAST.isoformat()} 15:29", timeout=10_000)
        backfill(root, FULL, NEXT_DAY, NEXT_DAY)  # the next trading day is stored...
        publish(make_report(minute + timedelta(minutes=1)), make_settings(str(root / "data")))  # ...and announced
        expect(page.locator("#chain-summary")).to_contain_text(f"{NEXT_DAY.isoformat()} 15:29", timeout=15_000)
        stored = legs(at_minute(stored_rows(root / "data", "options", NEXT_DAY, "NIFTY"), NEXT_DAY, "15:29"),
                      "this_week")  # fmt: skip
        atm = next(iter(stored.values()))["atm"]
        oi = page.locator(f'#chain-rows tr[data-strike="{atm:g}"] td[data-side="ce"][data-field="oi"]')
        assert _number(oi.inner_text()) == stored[(atm, "CE")]["oi"]
        page.screenshot(path=str(ARTIFACTS / "chain-after-sse.png"), full_page=True)
    finally:
        context.close()
