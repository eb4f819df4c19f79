from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from g6_pipeline.instruments import (
    InstrumentCache,
    build_universe,
    dump_from_records,
    parse_dump_csv,
    resolve_expiry_tags,
    select_options,
    strike_window,
)
from g6_pipeline.providers.synthetic import SyntheticMarket

DAY = date(2026, 11, 19)


def test_exact_name_and_segment(market: SyntheticMarket) -> None:
    nfo = parse_dump_csv(market.instruments_csv("NFO", DAY))
    assert {"BANKNIFTY", "NIFTYNXT50"} <= set(nfo["name"]) and "NFO-FUT" in set(nfo["segment"])
    nifty = select_options(nfo, "NIFTY", "NFO")
    assert len(nifty) > 0
    assert all(s.startswith("NIFTY") and not s.startswith(("NIFTYNXT50", "BANKNIFTY")) for s in nifty["tradingsymbol"])
    assert set(nifty["side"]) == {"CE", "PE"}
    assert not select_options(nfo, "SENSEX", "BFO").shape[0]


def test_sensex_from_bfo(market: SyntheticMarket) -> None:
    bfo = parse_dump_csv(market.instruments_csv("BFO", DAY))
    uni = build_universe(bfo, "SENSEX", "BFO", "BSE:SENSEX", ["this_week", "next_week"], DAY)
    assert set(uni.contracts["tradingsymbol"].str[:6]) == {"SENSEX"}
    assert uni.exchange == "BFO" and uni.step == 100 and uni.lot_size == 20
    assert uni.expiries["this_week"].weekday() == 3


def test_holiday_moved_expiry_tagged(market: SyntheticMarket) -> None:
    nfo = parse_dump_csv(market.instruments_csv("NFO", DAY))
    uni = build_universe(nfo, "NIFTY", "NFO", "NSE:NIFTY 50", ["this_week", "next_week", "this_month", "next_month"], DAY)
    assert uni.expiries["this_week"] == date(2026, 11, 23)  # Tue 24th is a holiday
    assert uni.expiries["this_month"] == date(2026, 11, 23)
    assert uni.expiries["next_week"] == date(2026, 12, 1)
    assert uni.expiries["next_month"] == date(2026, 12, 29)
    assert uni.step == 50 and uni.lot_size == 65


def test_monthly_only_index_has_no_week_tags(market: SyntheticMarket) -> None:
    nfo = parse_dump_csv(market.instruments_csv("NFO", DAY))
    uni = build_universe(nfo, "BANKNIFTY", "NFO", "NSE:NIFTY BANK", ["this_week", "this_month"], DAY)
    assert uni.unresolved == ("this_week",) and list(uni.expiries) == ["this_month"]


def test_tag_rules_on_plain_dates() -> None:
    exp = [date(2026, 1, 6), date(2026, 1, 13), date(2026, 1, 27), date(2026, 2, 24), date(2026, 3, 31)]
    tags = resolve_expiry_tags(exp, date(2026, 1, 7))
    assert tags == {"this_week": date(2026, 1, 13), "next_week": date(2026, 1, 27),
                    "this_month": date(2026, 1, 27), "next_month": date(2026, 2, 24)}


def test_strike_window_recentres() -> None:
    strikes = [100.0 + 50 * i for i in range(20)]
    assert list(strike_window(strikes, 420.0, 2, 2)) == [300.0, 350.0, 400.0, 450.0, 500.0]
    assert list(strike_window(strikes, 130.0, 2, 1)) == [100.0, 150.0, 200.0]


def test_cache_reuses_and_detects_corruption(tmp_path: Path, market: SyntheticMarket) -> None:
    cache = InstrumentCache(tmp_path)
    calls: list[int] = []

    def download() -> pd.DataFrame:
        calls.append(1)
        return parse_dump_csv(market.instruments_csv("NFO", DAY))

    first, fresh = cache.get("NFO", DAY, download)
    again, fresh2 = cache.get("NFO", DAY, download)
    assert fresh and not fresh2 and len(calls) == 1 and again.equals(first)
    csv_path = tmp_path / DAY.isoformat() / "NFO.csv"
    csv_path.write_bytes(csv_path.read_bytes()[: len(csv_path.read_bytes()) // 2])  # a partial write
    third, fresh3 = cache.get("NFO", DAY, download)
    assert fresh3 and len(calls) == 2 and len(third) == len(first)


def test_records_and_csv_agree(market: SyntheticMarket) -> None:
    csv = parse_dump_csv(market.instruments_csv("BFO", DAY))
    records = [{str(k): v for k, v in r.items()} for r in csv.to_dict("records")]
    assert dump_from_records(records).equals(csv)
