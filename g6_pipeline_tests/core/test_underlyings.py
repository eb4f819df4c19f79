"""The underlyings G6 knows: the index table, the dated F&O stock list, groups and the nearest-name hint."""

from __future__ import annotations

import pytest

from g6_pipeline.core.underlyings import (
    FO_STOCKS_FILE,
    INDEX_UNDERLYINGS,
    NAME_PATTERN,
    UnknownUnderlyingError,
    by_priority,
    closest,
    expand,
    fo_stocks,
    groups,
    kind_of,
    spot_key_of,
)


def test_the_stock_list_is_dated_sourced_and_well_formed() -> None:
    header = [line for line in FO_STOCKS_FILE.read_text().splitlines() if line.startswith("#")]
    text = " ".join(header)
    assert "fo_mktlots.csv" in text and "August 2026" in text and "ESTIMATE" in text
    stocks = fo_stocks()
    assert len(stocks) == 207
    assert list(stocks) == sorted(stocks)
    for stock in stocks.values():
        assert NAME_PATTERN.fullmatch(stock.symbol), stock.symbol
        assert stock.lot_size > 0 and stock.level > 0
        assert stock.level_source in {"estimate", "nse_close_2026-08-28"}
        assert stock.symbol not in INDEX_UNDERLYINGS
    # a few published lots of the OCT-26 contract month, read off NSE's file by hand
    assert (stocks["RELIANCE"].lot_size, stocks["M&M"].lot_size, stocks["IDEA"].lot_size) == (500, 200, 71475)
    # estimates are 7,50,000 / lot to three significant digits; sourced closes are kept as published
    assert stocks["RELIANCE"].level == 1500.0 and stocks["RELIANCE"].level_source == "estimate"
    assert stocks["TATASTEEL"].level == 186.5 and stocks["TATASTEEL"].level_source == "nse_close_2026-08-28"


def test_spot_keys_come_from_the_table_for_indices_and_the_symbol_for_stocks() -> None:
    assert spot_key_of("MIDCPNIFTY") == "NSE:NIFTY MID SELECT"
    assert spot_key_of("NIFTYNXT50") == "NSE:NIFTY NEXT 50"
    assert spot_key_of("BANKEX") == "BSE:BANKEX"
    assert spot_key_of("RELIANCE") == "NSE:RELIANCE"
    assert INDEX_UNDERLYINGS["BANKEX"].exchange == "BFO"
    assert (kind_of("SENSEX"), kind_of("HDFCBANK"), kind_of("DOWJONES")) == ("index", "stock", None)


def test_groups_expand_in_order_each_name_once() -> None:
    assert expand(["nifty", "indices"])[:3] == ["NIFTY", "BANKNIFTY", "FINNIFTY"]
    assert len(expand(["indices"])) == 7
    names = expand(["RELIANCE", "fo_stocks", "NIFTY"])
    assert names[0] == "RELIANCE" and names[-1] == "NIFTY" and len(names) == 208
    assert groups()["fo_stocks"][0] == "360ONE"


def test_an_unknown_name_names_the_closest_known_ones() -> None:
    with pytest.raises(UnknownUnderlyingError, match="closest: RELIANCE"):
        expand(["NIFTY", "RELIANC"])
    assert closest("banknifty50")[0] == "BANKNIFTY"
    assert closest("fo_stock") == ["fo_stocks"]
    assert closest("zzzzzz") == []


def test_priority_puts_indices_before_stocks_keeping_their_order() -> None:
    kinds = {"RELIANCE": "stock", "SENSEX": "index", "ABB": "stock", "NIFTY": "index"}
    assert by_priority(["RELIANCE", "SENSEX", "ABB", "NIFTY"], kinds) == ["SENSEX", "NIFTY", "RELIANCE", "ABB"]  # type: ignore[arg-type]
