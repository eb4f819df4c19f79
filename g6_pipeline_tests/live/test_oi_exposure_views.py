"""Intraday OI change, OI over the day, exposure and the term structure, against the stored Parquet read back
independently with pyarrow (changes and exposure worked out here from the stored rows), in the views, over
HTTP and in `g6 chain --oi-change`."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments.dump import dump_from_records
from g6_pipeline.live.chain_view import ChainViewError, chain_view, load_day, select
from g6_pipeline.live.exposure_views import exposure_view, term_view
from g6_pipeline.live.oi_views import interval_of, oi_day_view, oi_interval_view, with_oi_interval
from g6_pipeline.live.server import LiveServer
from g6_pipeline.storage.instrument_archive import archive_dump
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.live.chain_days import LAST, at_minute, backfill, legs, stored_rows

REPO = Path(__file__).parents[2]
G6 = Path(sys.executable).parent / "g6"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return backfill(tmp_path_factory.mktemp("oi"))


def _legs(data: Path, hhmm: str, tag: str = "this_week", index: str = "NIFTY") -> dict[tuple[float, str], dict[str, Any]]:
    return legs(at_minute(stored_rows(data, "options", LAST, index), LAST, hhmm), tag)


def _change(now: dict[str, Any], before: dict[str, Any] | None) -> float | None:
    return None if before is None or now["oi"] is None or before["oi"] is None else now["oi"] - before["oi"]


def test_oi_change_over_an_interval_since_the_open_and_since_the_close(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    sel = select(load_day("NIFTY", LAST, DataLocation(data)), "this_week", time(11, 0))
    now, before, first = _legs(data, "11:00"), _legs(data, "10:45"), _legs(data, "09:15")
    fifteen = oi_interval_view(sel, interval_of("15m"))
    assert fifteen["interval"] == "15m" and fifteen["basis"] == "over the last 15 min"
    for side in ("CE", "PE"):
        want = [_change(now[(k, side)], before.get((k, side))) for k in fifteen["strikes"]]
        assert fifteen[f"{side.lower()}_oi_change"] == want
    assert any(v not in (None, 0) for v in fifteen["ce_oi_change"])  # the synthetic market's OI moves
    opened = oi_interval_view(sel, interval_of("open"))
    assert opened["pe_oi_change"] == [_change(now[(k, "PE")], first.get((k, "PE"))) for k in opened["strikes"]]
    close = oi_interval_view(sel, interval_of(None))
    assert close["interval"] == "close" and close["ce_oi_change"] == [now[(k, "CE")]["oi_change"] for k in close["strikes"]]
    early = oi_interval_view(select(sel.stored, "this_week", time(9, 20)), interval_of("30m"))
    assert set(early["ce_oi_change"]) == {None}  # 08:50 was never stored: not measured, not 0
    with pytest.raises(ChainViewError) as err:
        interval_of("15 hours")
    assert err.value.parameter == "interval"


def test_the_chain_shows_the_change_over_the_interval_with_its_totals(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    sel = select(load_day("NIFTY", LAST, DataLocation(data)), "next_week", time(12, 0))
    view = with_oi_interval(chain_view(sel), sel, 5)
    now, before = _legs(data, "12:00", "next_week"), _legs(data, "11:55", "next_week")
    assert view["oi_change_basis"] == "over the last 5 min" and view["oi_interval"] == "5m"
    for row in view["rows"]:
        for side in ("CE", "PE"):
            assert row[side.lower()]["oi_change"] == _change(now[(row["strike"], side)], before[(row["strike"], side)])
            assert row[side.lower()]["oi"] == now[(row["strike"], side)]["oi"]  # the rest is as stored
    assert view["totals"]["pe"]["oi_change"] == pytest.approx(sum(r["pe"]["oi_change"] for r in view["rows"]))


def test_oi_over_the_day_for_chosen_strikes(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    sel = select(load_day("NIFTY", LAST, DataLocation(data)), "this_week", time(10, 0))
    view = oi_day_view(sel)
    atm = next(iter(_legs(data, "10:00").values()))["atm"]
    assert view["strikes"] == [atm + d for d in (-100.0, -50.0, 0.0, 50.0, 100.0)]  # ATM ± 2 (50-point steps)
    assert view["times"][0] == "09:15" and view["times"][-1] == "10:00" and len(view["times"]) == 46
    first = _legs(data, "09:15")
    i = view["times"].index("09:40")
    at = _legs(data, "09:40")
    for series in view["series"]:
        k = series["strike"]
        assert series["ce_oi"][i] == at[(k, "CE")]["oi"]
        assert series["pe_change"][i] == _change(at[(k, "PE")], first[(k, "PE")])
        assert series["ce_change"][0] == 0.0  # the open against itself
    chosen = oi_day_view(sel, interval_of("1m"), [atm])
    assert chosen["strikes"] == [atm] and chosen["series"][0]["ce_change"][0] is None
    with pytest.raises(ChainViewError) as err:
        oi_day_view(sel, interval_of("open"), [1.0])
    assert err.value.parameter == "strikes" and "strike 1 is not stored" in str(err.value)


def test_exposure_by_strike_and_in_total_from_the_stored_greeks(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    sel = select(load_day("NIFTY", LAST, DataLocation(data)), "this_week", time(13, 0))
    view = exposure_view(sel)
    stored = _legs(data, "13:00")
    spot = next(iter(stored.values()))["index_price"]
    total = 0.0
    for i, k in enumerate(view["strikes"]):
        ce, pe = stored[(k, "CE")], stored[(k, "PE")]
        gamma = ce["gamma"] * ce["oi"] - pe["gamma"] * pe["oi"]  # calls +1, puts −1; OI already in units
        delta = ce["delta"] * ce["oi"] - pe["delta"] * pe["oi"]
        assert view["gamma"][i] == pytest.approx(gamma, rel=1e-12)
        assert view["delta_rupees"][i] == pytest.approx(delta * spot, rel=1e-12)
        total += gamma
    assert view["totals"]["gamma_rupees"] == pytest.approx(total * spot * spot / 100, rel=1e-12)
    over = stored_rows(data, "overview", LAST, "NIFTY").sort_by("timestamp").to_pylist()
    at_one = next(r for r in over if r["timestamp"].astimezone(IST).strftime("%H:%M") == "13:00")
    # the overview's figure is the same sum, taken when the minute was enriched
    assert at_one["gex_this_week"] == pytest.approx(view["totals"]["gamma_rupees"], rel=1e-9)
    assert len(view["intraday"]["times"]) == len(over) and view["intraday"]["times"][0] == "09:15"
    assert view["intraday"]["gex"][view["intraday"]["times"].index("13:00")] == pytest.approx(at_one["gex_this_week"])
    assert view["convention"].startswith("conventional: calls +1, puts −1")


def test_term_structure_lists_every_expiry_collected_and_listed(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    location = DataLocation(data)
    sel = select(load_day("NIFTY", LAST, location), None, time(14, 0))
    collected = term_view(sel)
    over = at_minute(stored_rows(data, "overview", LAST, "NIFTY"), LAST, "14:00").to_pylist()[0]
    assert [p["tags"] for p in collected["expiries"]] == [["this_week"], ["next_week"]]
    assert [p["atm_iv"] for p in collected["expiries"]] == [over["atm_iv_this_week"], over["atm_iv_next_week"]]
    assert collected["expiries"][0]["days"] == (over["expiry_this_week"] - LAST).days
    # the day's archived instrument list names two more expiries: listed, not collected
    more = [over["expiry_next_week"] + timedelta(days=7), date(2027, 3, 25)]
    rows = [{"instrument_token": n, "exchange_token": n, "tradingsymbol": f"NIFTYX{n}", "name": "NIFTY",
             "last_price": 0.0, "expiry": e, "strike": 26000.0, "tick_size": 0.05, "lot_size": 65,
             "instrument_type": "CE", "segment": "NFO-OPT", "exchange": "NFO"}
            for n, e in enumerate([over["expiry_this_week"], *more], start=1)]
    archive_dump(location, "NFO", LAST, dump_from_records(rows))
    listed = term_view(sel)
    assert [p["expiry"] for p in listed["expiries"]] == [str(e) for e in
                                                          (over["expiry_this_week"], over["expiry_next_week"], *more)]
    assert [p["collected"] for p in listed["expiries"]] == [True, True, False, False]
    assert listed["expiries"][-1]["atm_iv"] is None


def _get(server: LiveServer, path: str) -> tuple[int, Any]:
    host, port = server.address
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_the_endpoints_serve_the_views_and_name_a_bad_parameter(dirs: tuple[Path, Path]) -> None:
    data = dirs[1]
    sel = select(load_day("NIFTY", LAST, DataLocation(data)), "this_week", time(10, 30))
    with LiveServer(data, host="127.0.0.1", port=0, poll_seconds=0.1) as server:
        day = f"day={LAST.isoformat()}&at=10:30"
        assert _get(server, f"/api/oi?index=NIFTY&{day}&interval=15m") == (200, oi_interval_view(sel, 15))
        status, chain = _get(server, f"/api/chain?index=NIFTY&{day}&interval=open")
        assert status == 200 and chain["oi_interval"] == "open"
        assert _get(server, f"/api/oi_day?index=NIFTY&{day}&strikes=") == (200, oi_day_view(sel))
        assert _get(server, f"/api/exposure?index=NIFTY&{day}")[1]["totals"] == exposure_view(sel)["totals"]
        assert _get(server, f"/api/term?index=NIFTY&{day}")[0] == 200
        for path, parameter in ((f"/api/oi?index=NIFTY&{day}&interval=soon", "interval"),
                                (f"/api/oi_day?index=NIFTY&{day}&strikes=abc", "strikes"),
                                (f"/api/term?index=NIFTY&{day}&expiry=this_week", "expiry")):
            status, body = _get(server, path)
            assert (status, body["parameter"]) == (400, parameter) and body["error"]


def test_g6_chain_oi_change_15m(dirs: tuple[Path, Path]) -> None:
    config, data = dirs
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "G6_CONFIG_DIR": str(config), "G6_DATA_DIR": str(data),
           "COLUMNS": "200"}
    result = subprocess.run([str(G6), "chain", "NIFTY", "--day", LAST.isoformat(), "--at", "11:30",
                             "--columns", "oi,chng_oi", "--quantities", "units", "--oi-change", "15m"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Chng OI over the last 15 min" in result.stdout
    now, before = _legs(data, "11:30"), _legs(data, "11:15")
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "STRIKE" in line)
    end = next(i for i, line in enumerate(lines) if "TOTAL" in line)
    assert end - at - 1 == len({k for k, _ in now})  # every stored strike of the minute was read
    for line in lines[at + 1:end]:
        cells = line.split()
        strike = float(cells[2].strip("▶*").replace(",", ""))
        shown = [None if c == "-" else float(c.replace(",", "").replace("+", "")) for c in (cells[1], cells[3])]
        assert shown == [_change(now[(strike, s)], before[(strike, s)]) for s in ("CE", "PE")], line
    bad = subprocess.run([str(G6), "chain", "NIFTY", "--oi-change", "soon"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "not an OI-change interval: 'soon'" in bad.stderr
