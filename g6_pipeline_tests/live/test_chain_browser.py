"""The chain screen in a real headless Chromium: numbers equal the stored Parquet, selectors, SSE, render time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.live import publish
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.server import LiveServer
from g6_pipeline_tests.fakes.browser import ARTIFACTS
from g6_pipeline_tests.live.builders import make_report, make_settings
from g6_pipeline_tests.live.chain_days import INDICES, IST, LAST, at_minute, backfill, legs, stored_rows

pytestmark = pytest.mark.slow
FULL = {**INDICES, "NIFTY": {**INDICES["NIFTY"], "strikes_below": 10, "strikes_above": 10,
                             "expiry_tags": ["this_week", "next_week", "this_month", "next_month"]}}  # fmt: skip
NEXT_DAY = date(2026, 11, 23)
TERMINAL = NumberFormat()  # the configured style (the defaults), as g6 chain and g6 summary write numbers
WIDTHS = (800, 1280, 1920)
"""Page widths the charts are checked at: the two-column layout below 900 px, a laptop and a desktop."""
CHARTS = ("smile-chart", "oi-chart", "oiday-chart", "gex-chart", "term-chart", "spot-chart", "pcr-chart",
          "straddle-chart", "atmiv-chart", "gexday-chart")
LABELS_OUTSIDE = """svg => {
    const box = svg.getBoundingClientRect();
    const labels = Array.from(svg.querySelectorAll('text')).map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, cls: t.getAttribute('class'), left: r.left, right: r.right, top: r.top,
                bottom: r.bottom};
    });
    const outside = labels.filter(l => l.left < box.left - 0.5 || l.right > box.right + 0.5 ||
                                       l.top < box.top - 0.5 || l.bottom > box.bottom + 0.5 || !l.text);
    return {box: [box.width, box.height], labels: labels, outside: outside};
}"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path
    _, data = backfill(root, FULL, LAST - timedelta(days=1), LAST)
    server = LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1, heartbeat_seconds=1,
                        calendar=MarketCalendar.load())
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
    lot = first["lot_size"]
    for strike, cells in table.items():
        for side in ("CE", "PE"):
            leg, s = stored[(strike, side)], side.lower()
            # in contracts, written as the terminal views write them (one number style)
            assert cells[f"{s}:oi"] == TERMINAL.number(leg["oi"] / lot, 0)
            assert _number(cells[f"{s}:oi"]) == leg["oi"] / lot and _number(cells[f"{s}:volume"]) == leg["volume"] / lot
            change = None if leg["oi_change"] is None else leg["oi_change"] / lot
            assert _number(cells[f"{s}:oi_change"]) == change  # a missing change shows as a dash
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
        # the days-to-expiry master behind it: its median and the p10 and p90 band of the backfilled days
        assert page.locator("#straddle-chart polyline.dte").count() == 1
        assert page.locator("#atmiv-chart polyline.band").count() == 2
        expect(page.locator("#master-note")).to_contain_text("sessions before expiry, median and p10–p90 of 1 day")

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
    publish(make_report(minute), make_settings(str(root / "data")), str(root / "data"))
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = context.new_page()
    try:
        _open(page, server.url + "/?index=NIFTY")
        expect(page.locator("#chain-summary")).to_contain_text(f"{LAST.isoformat()} 15:29", timeout=10_000)
        # the last cycle's provider was the simulated market, and so are the stored rows: both say so
        expect(page.locator("#simulated")).to_be_visible(timeout=10_000)
        expect(page.locator("#chain-summary .simulated")).to_have_text("simulated")
        assert page.locator("#chain-units").inner_text() == "OI, volume and bid/ask quantities in contracts (lots of 65)"
        backfill(root, FULL, NEXT_DAY, NEXT_DAY)  # the next trading day is stored...
        publish(make_report(minute + timedelta(minutes=1)), make_settings(str(root / "data")), str(root / "data"))  # ...and announced
        expect(page.locator("#chain-summary")).to_contain_text(f"{NEXT_DAY.isoformat()} 15:29", timeout=15_000)
        stored = legs(at_minute(stored_rows(root / "data", "options", NEXT_DAY, "NIFTY"), NEXT_DAY, "15:29"),
                      "this_week")  # fmt: skip
        atm = next(iter(stored.values()))["atm"]
        oi = page.locator(f'#chain-rows tr[data-strike="{atm:g}"] td[data-side="ce"][data-field="oi"]')
        assert _number(oi.inner_text()) == stored[(atm, "CE")]["oi"] / 65  # in contracts
        page.screenshot(path=str(ARTIFACTS / "chain-after-sse.png"), full_page=True)
    finally:
        context.close()


def _overlapping(labels: list[dict[str, Any]], cls: str) -> list[tuple[str, str]]:
    """Pairs of tick labels of one axis whose boxes overlap."""
    ticks = [label for label in labels if label["cls"] == cls]
    return [(a["text"], b["text"]) for i, a in enumerate(ticks) for b in ticks[i + 1 :]
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


def test_every_chart_label_shows_whole_at_every_width(served: tuple[LiveServer, Path], browser: Any) -> None:
    server, root = served
    stored = legs(at_minute(stored_rows(root / "data", "options", LAST, "NIFTY"), LAST, "15:29"), "this_week")
    biggest = max(max(leg["oi"] for leg in stored.values()) / 65, 1)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 1000})
        page = context.new_page()
        try:
            _open(page, server.url + f"/?index=NIFTY&day={LAST.isoformat()}")
            for chart in CHARTS:
                found = page.eval_on_selector("#" + chart, LABELS_OUTSIDE)
                ticks = [label for label in found["labels"] if label["cls"].startswith("tick")]
                assert found["outside"] == [], (width, chart, found["box"], found["outside"])
                assert len([t for t in ticks if t["cls"] == "tick y"]) >= 2, (width, chart)
                assert len([t for t in ticks if t["cls"] == "tick x"]) >= 2, (width, chart)
                assert _overlapping(found["labels"], "tick y") == [] and _overlapping(found["labels"], "tick x") == []
            oi_axis = [t["text"] for t in page.eval_on_selector("#oi-chart", LABELS_OUTSIDE)["labels"]
                       if t["cls"] == "tick y"]  # fmt: skip
            values = [_number(text) for text in oi_axis]
            assert oi_axis == [TERMINAL.number(v, 0) for v in values]  # whole numbers, grouped as everywhere
            assert max(v for v in values if v is not None) >= biggest  # the tallest bar is under the top label
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"chain-{width}.png"), full_page=True)
            page.locator(".chain-charts").screenshot(path=str(ARTIFACTS / f"chain-charts-{width}.png"))
        finally:
            context.close()


def test_the_page_writes_numbers_in_the_configured_style(served: tuple[LiveServer, Path], browser: Any) -> None:
    _, root = served
    western = NumberFormat("western", "units")
    stored = legs(at_minute(stored_rows(root / "data", "options", LAST, "NIFTY"), LAST, "15:29"), "this_week")
    with LiveServer(root / "data", host="127.0.0.1", port=0, poll_seconds=0.1, numbers=western) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        try:
            _open(page, server.url + f"/?index=NIFTY&day={LAST.isoformat()}")
            table = _table(page)
            big = max(stored.values(), key=lambda leg: leg["oi"])
            assert big["oi"] >= 1_000_000  # in units: 1,234,567 (western), not 12,34,567
            assert table[big["strike"]][f"{big['side'].lower()}:oi"] == western.number(big["oi"], 0)
            assert page.locator("#chain-units").inner_text() == "OI, volume and bid/ask quantities in units (lot size 65)"
            axis = [t["text"] for t in page.eval_on_selector("#oi-chart", LABELS_OUTSIDE)["labels"] if t["cls"] == "tick y"]
            assert axis == [western.number(_number(text), 0) for text in axis] and any("," in text for text in axis)
        finally:
            context.close()


def test_oi_change_interval_strikes_exposure_and_term_structure(served: tuple[LiveServer, Path], browser: Any) -> None:
    server, root = served
    data = root / "data"
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _open(page, server.url + f"/?index=NIFTY&day={LAST.isoformat()}&at=11:00")
        assert page.locator("#oiday-chart polyline").count() == 10  # ATM ± 2: a call and a put line each
        assert page.locator("#oiday-keys .key").count() == 5
        assert page.locator("#gex-chart rect").count() > 0 and page.locator("#term-chart polyline").count() == 1
        assert page.locator("#gexday-chart polyline").count() == 1
        summary = page.inner_text("#chain-summary")
        assert "IVR/IVP" in summary and "GEX ₹cr/1%" in summary

        before = page.get_attribute("#chain", "data-updates")
        page.select_option("#oi-interval", "15m")
        expect(page.locator("#chain")).not_to_have_attribute("data-updates", str(before), timeout=10_000)
        head = page.locator('#chain-head th[data-field="oi_change"]').first
        assert head.inner_text() == "Chng OI 15m"
        assert "over the last 15 min" in page.inner_text("#oi-basis")
        rows = stored_rows(data, "options", LAST, "NIFTY")
        now, earlier = legs(at_minute(rows, LAST, "11:00"), "this_week"), legs(at_minute(rows, LAST, "10:45"), "this_week")
        table = _table(page)
        measured = 0
        for strike, cells in table.items():
            for side in ("CE", "PE"):
                was = earlier.get((strike, side))  # a strike the window reached since: not measured, a dash
                want = None if was is None else (now[(strike, side)]["oi"] - was["oi"]) / 65  # in contracts
                assert _number(cells[f"{side.lower()}:oi_change"]) == pytest.approx(want), (strike, side)
                measured += want is not None
        assert measured >= len(table)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chain-oi-exposure-term.png"), full_page=True)

        atm = next(iter(now.values()))["atm"]
        before = page.get_attribute("#chain", "data-updates")
        page.fill("#oi-strikes", f"{atm:g},{atm + 100:g}")
        page.press("#oi-strikes", "Enter")
        expect(page.locator("#chain")).not_to_have_attribute("data-updates", str(before), timeout=10_000)
        assert page.locator("#oiday-chart polyline").count() == 4
        assert page.locator("#oiday-keys").inner_text().split() == [f"{atm:,.0f}".replace(",", ","),
                                                                      f"{atm + 100:,.0f}"]
        page.select_option("#oiday-mode", "oi")
        assert page.locator("#oiday-chart polyline").count() == 4
        before = page.get_attribute("#chain", "data-updates")
        page.fill("#oi-strikes", "1")
        page.press("#oi-strikes", "Enter")
        expect(page.locator("#oiday-note")).to_contain_text("strike 1 is not stored", timeout=10_000)
        assert page.locator("#chain-rows tr").count() > 0  # the rest of the screen still shows
        page.screenshot(path=str(ARTIFACTS / "chain-oi-strikes.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
