"""Rule drift between two days' instrument dumps, on small dumps made by hand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import pandas as pd

from g6_pipeline.instruments.drift import RuleChange, rule_drift
from g6_pipeline.instruments.dump import dump_from_records


def options(
    name: str, expiries: Iterable[date], strikes: Sequence[float] = (25000.0, 25050.0, 25100.0), lot: int = 75,
    exchange: str = "NFO", lots: dict[date, int] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for e in expiries:
        for k in strikes:
            for side in ("CE", "PE"):
                rows.append({
                    "instrument_token": len(rows) + 1, "exchange_token": len(rows) + 1,
                    "tradingsymbol": f"{name}{e:%y%m%d}{int(k)}{side}", "name": name, "last_price": 0.0, "expiry": e,
                    "strike": k, "tick_size": 0.05, "lot_size": (lots or {}).get(e, lot), "instrument_type": side,
                    "segment": f"{exchange}-OPT", "exchange": exchange,
                })
    return rows


def future(name: str, expiry: date, lot: int = 75) -> dict[str, Any]:
    return {"instrument_token": 999, "exchange_token": 999, "tradingsymbol": f"{name}FUT", "name": name,
            "last_price": 0.0, "expiry": expiry, "strike": 0.0, "tick_size": 0.1, "lot_size": lot,
            "instrument_type": "FUT", "segment": "NFO-FUT", "exchange": "NFO"}


def dump(*parts: list[dict[str, Any]]) -> pd.DataFrame:
    return dump_from_records([row for part in parts for row in part])


THURSDAYS = [date(2025, 8, 21), date(2025, 8, 28), date(2025, 9, 4), date(2025, 9, 25)]


def test_the_same_rules_give_no_change_whatever_else_moves() -> None:
    before = dump(options("NIFTY", THURSDAYS), [future("NIFTY", date(2025, 8, 28))])
    after = dump(options("NIFTY", THURSDAYS, strikes=(24000.0, 24050.0, 24100.0, 24150.0)),
                 [future("NIFTY", date(2025, 8, 28), lot=1)])  # other strikes listed; a future is not an option
    assert rule_drift(before, after) == []


def test_the_september_2025_weekday_swap() -> None:
    before = dump(options("NIFTY", THURSDAYS), options("SENSEX", [date(2025, 8, 26), date(2025, 9, 2),
                                                                     date(2025, 9, 30)], exchange="BFO", lot=20))
    # the contracts after 1 September move to Tuesday on NSE and to Thursday on BSE
    after = dump(options("NIFTY", [date(2025, 8, 21), date(2025, 8, 28), date(2025, 9, 2), date(2025, 9, 30)]),
                 options("SENSEX", [date(2025, 8, 26), date(2025, 9, 4), date(2025, 9, 25)], exchange="BFO", lot=20))
    assert rule_drift(before, after) == [
        RuleChange("BFO", "SENSEX", "expiry_weekdays", "TUESDAY", "TUESDAY, THURSDAY"),
        RuleChange("NFO", "NIFTY", "expiry_weekdays", "THURSDAY", "TUESDAY, THURSDAY"),
    ]


def test_the_november_2024_cut_to_one_weekly_per_exchange() -> None:
    weeklies = [date(2024, 11, 20), date(2024, 11, 27), date(2024, 12, 4), date(2024, 12, 11), date(2024, 12, 24)]
    before = dump(options("BANKNIFTY", weeklies, strikes=(51000.0, 51100.0, 51200.0), lot=15))
    after = dump(options("BANKNIFTY", [date(2024, 11, 27), date(2024, 12, 24)], strikes=(51000.0, 51100.0, 51200.0),
                         lot=15))
    # before: 20 Nov and 4, 11 Dec are not the last expiry of their month; after: none is
    assert [c.line() for c in rule_drift(before, after)] == ["NFO BANKNIFTY weeklies: 3 → 0"]


def test_lot_sizes_per_expiry_and_on_new_expiries() -> None:
    before = dump(options("NIFTY", THURSDAYS[1:], lot=75))
    new_monthly = date(2025, 11, 27)
    after = dump(options("NIFTY", [*THURSDAYS[1:], new_monthly], lots={THURSDAYS[3]: 65, new_monthly: 65}))
    assert [c.line() for c in rule_drift(before, after)] == [
        "NFO NIFTY lot_size: 2025-09-25: 75 → 2025-09-25: 65",
        "NFO NIFTY lot_size: listed expiries: 75 → new expiry 2025-11-27: 65",
    ]


def test_the_strike_step_and_listed_and_delisted_underlyings() -> None:
    before = dump(options("NIFTY", THURSDAYS), options("MIDCPNIFTY", [date(2025, 8, 28)], strikes=(12000.0, 12025.0,
                                                                                                    12050.0), lot=140))
    after = dump(options("NIFTY", THURSDAYS, strikes=(25000.0, 25100.0, 25200.0)),
                 options("NIFTYNXT50", [date(2025, 8, 28)], strikes=(68000.0, 68100.0, 68200.0), lot=25))
    assert [c.line() for c in rule_drift(before, after)] == [
        "NFO MIDCPNIFTY delisted: expiries on THURSDAY, 0 weeklies, lot size 140, strike step 25 → not listed",
        "NFO NIFTY strike_step: 50 → 100",
        "NFO NIFTYNXT50 listed: not listed → expiries on THURSDAY, 0 weeklies, lot size 25, strike step 100",
    ]
