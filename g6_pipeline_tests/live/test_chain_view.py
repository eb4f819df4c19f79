"""The chain, smile, OI and intraday views against backfilled days read back independently with pyarrow."""

from __future__ import annotations

import http.client
import json
import math
from datetime import date, time
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from g6_pipeline.live.chain_view import (
    ChainViewError,
    chain_view,
    intraday_view,
    load_day,
    oi_view,
    select,
    smile_view,
)
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.server import LiveServer
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.live.chain_days import FIRST, LAST, at_minute, backfill, legs, stored_rows

FIELDS = {"oi": "oi", "oi_change": "oi_change", "volume": "volume", "iv": "iv", "delta": "delta",
          "ltp": "last_price", "bid": "bid", "ask": "ask", "bid_qty": "bid_qty", "ask_qty": "ask_qty"}  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backfill(tmp_path_factory.mktemp("chain"))[1]


def _json(x: object) -> object:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def test_chain_rows_equal_the_stored_legs(data: Path) -> None:
    view = chain_view(select(load_day("NIFTY", LAST, DataLocation(data)), "next_week", time(10, 30)))
    minute = at_minute(stored_rows(data, "options", LAST, "NIFTY"), LAST, "10:30")
    stored = legs(minute, "next_week")
    assert [r["strike"] for r in view["rows"]] == sorted({k for k, _ in stored})
    forward = next(iter(stored.values()))["forward"]
    for row in view["rows"]:
        for side in ("CE", "PE"):
            leg, shown = stored[(row["strike"], side)], row[side.lower()]
            assert {n: shown[n] for n in FIELDS} == {n: _json(leg[c]) for n, c in FIELDS.items()}
            assert shown["itm"] == (row["strike"] < forward if side == "CE" else row["strike"] > forward)
        assert row["atm"] == (row["strike"] == next(iter(stored.values()))["atm"])
    assert len([r for r in view["rows"] if r["atm"]]) == 1
    overview = at_minute(stored_rows(data, "overview", LAST, "NIFTY"), LAST, "10:30").to_pylist()[0]
    assert view["max_pain"] == overview["max_pain_next_week"] and view["pcr_oi"] == overview["pcr_next_week"]
    assert [r["strike"] for r in view["rows"] if r["max_pain"]] == [overview["max_pain_next_week"]]
    ce_oi = sum(leg["oi"] for (_, side), leg in stored.items() if side == "CE")
    assert view["totals"]["ce"]["oi"] == ce_oi and view["expiry"] == str(overview["expiry_next_week"])
    assert [e["tag"] for e in view["expiries"]] == ["this_week", "next_week"]


def test_missing_values_are_null_not_zero(data: Path) -> None:
    view = chain_view(select(load_day("NIFTY", FIRST, DataLocation(data))))  # the first stored day: no previous close
    stored = stored_rows(data, "options", FIRST, "NIFTY")
    assert stored.column("oi_change").null_count == stored.num_rows
    assert all(r[s]["oi_change"] is None for r in view["rows"] for s in ("ce", "pe"))
    assert view["totals"]["ce"]["oi_change"] is None and view["totals"]["pe"]["oi"] is not None


def test_latest_minute_window_and_bad_requests(data: Path) -> None:
    stored = load_day("NIFTY", LAST, DataLocation(data))
    last = pc.max(stored_rows(data, "options", LAST, "NIFTY").column("timestamp")).as_py()
    view = chain_view(select(stored), strikes_each_side=2)
    assert view["minute"] == last.strftime("%H:%M") and view["expiry_tag"] == "this_week"
    strikes = [r["strike"] for r in view["rows"]]
    assert len(strikes) == 5 and strikes[2] == view["atm"]
    with pytest.raises(ChainViewError) as err:
        select(stored, at=time(15, 45))
    assert err.value.parameter == "at"
    with pytest.raises(ChainViewError) as err:
        select(stored, "this_month")
    assert err.value.parameter == "expiry"
    with pytest.raises(ChainViewError) as err:
        load_day("NIFTY", date(2026, 11, 21), DataLocation(data))  # a Saturday
    assert err.value.parameter == "day"
    assert load_day("NIFTY", None, DataLocation(data)).day == LAST


def test_smile_and_previous_close(data: Path) -> None:
    view = smile_view(select(load_day("NIFTY", LAST, DataLocation(data)), "next_week", time(11, 0)))
    stored = legs(at_minute(stored_rows(data, "options", LAST, "NIFTY"), LAST, "11:00"), "next_week")
    assert view["ce_iv"] == [_json(stored[(k, "CE")]["iv"]) for k in view["strikes"]]
    assert view["pe_iv"] == [_json(stored[(k, "PE")]["iv"]) for k in view["strikes"]]
    before = date(2026, 11, 19)
    prev_rows = stored_rows(data, "options", before, "NIFTY")
    close = prev_rows.filter(pc.equal(prev_rows.column("timestamp"), pc.max(prev_rows.column("timestamp"))))
    expiry = next(iter(stored.values()))["expiry"]
    prev = {(r["strike"], r["side"]): r["iv"] for r in close.to_pylist() if r["expiry"] == expiry}
    previous = view["previous_close"]
    assert previous["day"] == before.isoformat() and previous["strikes"] == sorted({k for k, _ in prev})
    assert previous["ce_iv"] == [_json(prev[(k, "CE")]) for k in previous["strikes"]]
    assert smile_view(select(load_day("NIFTY", FIRST, DataLocation(data))))["previous_close"] is None


def test_oi_by_strike(data: Path) -> None:
    view = oi_view(select(load_day("BANKNIFTY", LAST, DataLocation(data)), None, time(14, 0)))
    stored = legs(at_minute(stored_rows(data, "options", LAST, "BANKNIFTY"), LAST, "14:00"), "this_month")
    for key, (side, column) in {"ce_oi": ("CE", "oi"), "pe_oi": ("PE", "oi"), "pe_oi_change": ("PE", "oi_change")}.items():
        assert view[key] == [_json(stored[(k, side)][column]) for k in view["strikes"]]
    assert view["expiry_tag"] == "this_month"


def test_intraday_series_and_weekday_master_mean(data: Path) -> None:
    view = intraday_view(load_day("NIFTY", LAST, DataLocation(data)), "this_week")
    overview = stored_rows(data, "overview", LAST, "NIFTY").sort_by("timestamp")
    assert len(view["times"]) == overview.num_rows and view["times"][0] == "09:15"
    for key, column in {"spot": "index_price", "straddle": "straddle_this_week", "pcr_volume": "pcr_volume_this_week",
                        "atm_iv": "atm_iv_this_week"}.items():  # fmt: skip
        assert view[key] == [_json(v) for v in overview.column(column).to_pylist()]
    fridays = []
    for day in (FIRST, LAST):  # the two Fridays: ATM (offset 0) legs of this_week at 09:20
        minute = at_minute(stored_rows(data, "options", day, "NIFTY"), day, "09:20")
        atm = {r["side"]: r for r in minute.to_pylist() if r["expiry_tag"] == "this_week" and r["offset"] == 0}
        fridays.append((round(atm["CE"]["last_price"] + atm["PE"]["last_price"], 2),
                        (atm["CE"]["iv"] + atm["PE"]["iv"]) / 2))  # fmt: skip
    master = view["master"]
    i = master["times"].index("09:20")
    assert master["weekday"] == "friday" and master["days"][i] == 2
    assert master["straddle"][i] == pytest.approx((fridays[0][0] + fridays[1][0]) / 2, abs=1e-6)
    assert master["atm_iv"][i] == pytest.approx((fridays[0][1] + fridays[1][1]) / 2, rel=1e-9)
    with pytest.raises(ChainViewError):
        intraday_view(load_day("NIFTY", LAST, DataLocation(data)), "next_month")


def _get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    host, port = server.address
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_json_endpoints_serve_the_views(data: Path) -> None:
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1) as server:
        day = LAST.isoformat()
        status, body = _get(server, f"/api/chain?index=nifty&expiry=next_week&at=10:30&day={day}&strikes=2")
        assert status == 200
        view = chain_view(select(load_day("NIFTY", LAST, DataLocation(data)), "next_week", time(10, 30)), 2)
        assert body == {**view, "unit_words": "OI, volume and bid/ask quantities in contracts (lots of 65)",
                        "oi_change_basis": "since the previous close", "oi_interval": "close"}
        assert body["simulated"] is True and body["sources"] == ["synthetic"] and body["lot_size"] == 65
        stored = legs(at_minute(stored_rows(data, "options", LAST, "NIFTY"), LAST, "10:30"), "next_week")
        assert [r["ce"]["oi"] for r in body["rows"]] == [stored[(r["strike"], "CE")]["oi"] for r in body["rows"]]
        status, smile = _get(server, f"/api/smile?index=NIFTY&at=10:30&day={day}")
        assert status == 200 and smile["expiry_tag"] == "this_week" and smile["previous_close"] is not None
        status, oi = _get(server, f"/api/oi?index=BANKNIFTY&day={day}")
        assert status == 200 and oi["expiry_tag"] == "this_month" and len(oi["ce_oi"]) == len(oi["strikes"])
        status, series = _get(server, "/api/intraday?index=NIFTY&expiry=next_week")  # latest stored day
        assert status == 200 and series["day"] == day and series["master"]["weekday"] == "friday"


@pytest.mark.parametrize(
    ("query", "code", "parameter"),
    [("index=DOW", 400, "index"), ("", 400, "index"), ("index=NIFTY&expiry=weekly", 400, "expiry"),
     ("index=NIFTY&at=25:99", 400, "at"), ("index=NIFTY&at=15:45", 400, "at"), ("index=NIFTY&strikes=-1", 400, "strikes"),
     ("index=NIFTY&day=2026-13-01", 400, "day"), ("index=NIFTY&day=2026-11-21", 404, "day"),
     ("index=NIFTY&expiry=this_month", 400, "expiry"), ("index=NIFTY&colour=red", 400, "colour"),
     ("index=NIFTY&index=BANKNIFTY", 400, "index")],
)  # fmt: skip
def test_bad_parameters_are_named(data: Path, query: str, code: int, parameter: str) -> None:
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1) as server:
        status, body = _get(server, f"/api/chain?{query}&day={LAST.isoformat()}" if "day=" not in query
                            else f"/api/chain?{query}")  # fmt: skip
        assert (status, body["parameter"]) == (code, parameter) and body["error"]


@pytest.mark.parametrize("script", ["chain.js", "charts.js", "numbers.js"])
def test_chain_scripts_are_served_without_html_insertion(data: Path, script: str) -> None:
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1) as server:
        host, port = server.address
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", f"/static/{script}")
        response = conn.getresponse()
        body = response.read()
        conn.close()
    assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/javascript")
    assert b"innerHTML" not in body and b"insertAdjacentHTML" not in body and b"http" not in body.replace(
        b"http://www.w3.org/2000/svg", b"")


def test_the_page_carries_the_configured_number_style(data: Path) -> None:
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1,
                    numbers=NumberFormat("western", "units"), simulated=True) as server:  # fmt: skip
        host, port = server.address
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/")
        page = conn.getresponse().read().decode()
        conn.close()
    assert '<html lang="en" data-number-locale="en-US" data-quantities="units" data-simulated="true">' in page


def test_endpoints_follow_the_token_rule(data: Path) -> None:
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1, auth_token="s3cret") as server:
        path = f"/api/intraday?index=NIFTY&day={LAST.isoformat()}"
        assert _get(server, path)[0] == 401
        assert _get(server, path + "&token=wrong")[0] == 401
        assert _get(server, path + "&token=s3cret")[0] == 200
        assert _get(server, path, {"X-API-Token": "s3cret"})[0] == 200
