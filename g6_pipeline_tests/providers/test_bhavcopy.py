"""Reading the F&O bhavcopy (UDiFF layout) into close-of-day chains: rows, filters, tags, symbols, errors."""

from __future__ import annotations

import math
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from g6_pipeline.providers.bhavcopy import BhavcopyError, bhavcopy_files, read_days
from g6_pipeline.providers.bhavcopy.layout import read_bhavcopy
from g6_pipeline_tests.fakes.bhavcopy import (
    COLUMNS,
    Contract,
    bse_name,
    csv_bytes,
    future_row,
    nse_name,
    rows_of,
    write_zip,
)

DAY = date(2026, 1, 5)  # a Monday
WEEKLY, NEXT_WEEKLY, MONTHLY, NEXT_MONTHLY = date(2026, 1, 6), date(2026, 1, 13), date(2026, 1, 27), date(2026, 2, 24)


def nifty_contracts() -> list[Contract]:
    return [
        Contract(WEEKLY, 26000.0, "CE", 80.35, oi=650_000, oi_change=65_000, volume=1_300_000, prev_close=75.0),
        Contract(WEEKLY, 26000.0, "PE", 90.10, oi=0, oi_change=-6_500, volume=0, prev_close=0.0, close=0.0),
        Contract(NEXT_WEEKLY, 26000.0, "CE", 150.0, oi=130, volume=65, prev_close=160.0),
        Contract(MONTHLY, 26000.0, "CE", 250.0, oi=130, volume=65, prev_close=260.0),
        Contract(NEXT_MONTHLY, 26000.0, "PE", 300.0, oi=130, volume=65, prev_close=310.0),
    ]


def nse_file(folder: Path, rows: list[dict[str, str]], day: date = DAY) -> Path:
    return write_zip(folder / nse_name(day), csv_bytes(rows))


def test_option_rows_are_read_with_the_files_values_and_futures_skipped(tmp_path: Path) -> None:
    rows = rows_of(DAY, "NIFTY", 25990.5, nifty_contracts(), 65)
    rows += rows_of(DAY, "BANKNIFTY", 59000.0, [Contract(MONTHLY, 59000.0, "CE", 500.0)], 30)
    rows.append(future_row(DAY, "NIFTY", MONTHLY, 26050.0, 65))
    frame = read_bhavcopy(nse_file(tmp_path, rows))
    assert len(frame) == 6
    first = frame.iloc[0]
    assert (first["line"], first["day"], first["exchange"], first["instrument"]) == (2, DAY, "NSE", "IDO")
    assert (first["underlying"], first["expiry"], first["strike"], first["side"]) == ("NIFTY", WEEKLY, 26000.0, "CE")
    assert (first["settle"], first["prev_close"], first["spot"]) == (80.35, 75.0, 25990.5)
    assert (first["oi"], first["oi_change"], first["volume"], first["lot_size"]) == (650_000, 65_000, 1_300_000, 65)
    put = frame.iloc[1]
    # a price of 0 is "no price" (NaN); an OI or volume of 0 is a real zero
    assert math.isnan(put["close"]) and math.isnan(put["prev_close"])
    assert (put["oi"], put["volume"], put["oi_change"]) == (0.0, 0.0, -6_500.0)


def test_filters_keep_the_asked_underlyings_and_days(tmp_path: Path) -> None:
    other = date(2026, 1, 6)
    rows = rows_of(DAY, "NIFTY", 26000.0, nifty_contracts(), 65)
    rows += rows_of(other, "NIFTY", 26000.0, [Contract(NEXT_WEEKLY, 26000.0, "CE", 10.0)], 65)
    rows += rows_of(DAY, "BANKNIFTY", 59000.0, [Contract(MONTHLY, 59000.0, "CE", 500.0)], 30)
    path = nse_file(tmp_path, rows)
    assert set(read_bhavcopy(path, underlyings=["BANKNIFTY"])["underlying"]) == {"BANKNIFTY"}
    assert list(read_bhavcopy(path, start=other)["day"]) == [other]
    assert len(read_bhavcopy(path, end=DAY, underlyings=["NIFTY"])) == 5
    assert read_bhavcopy(path, underlyings=["FINNIFTY"]).empty


def test_a_chain_per_underlying_and_day_with_tags_from_the_listed_expiries(tmp_path: Path) -> None:
    rows = rows_of(DAY, "NIFTY", 25990.5, nifty_contracts(), 65)
    rows += rows_of(DAY, "BANKNIFTY", 59000.0, [Contract(MONTHLY, 59000.0, "CE", 500.0),
                                                Contract(NEXT_MONTHLY, 59000.0, "CE", 900.0)], 30)
    days = read_days([nse_file(tmp_path, rows)])
    assert [(d.underlying, d.day) for d in days] == [("BANKNIFTY", DAY), ("NIFTY", DAY)]
    bank, nifty = days
    assert dict(nifty.snapshot.expiries) == {"this_week": WEEKLY, "next_week": NEXT_WEEKLY, "this_month": MONTHLY,
                                             "next_month": NEXT_MONTHLY}
    assert dict(bank.snapshot.expiries) == {"this_month": MONTHLY, "next_month": NEXT_MONTHLY}  # monthly only
    snap = nifty.snapshot
    assert (snap.spot, snap.provider, snap.timestamp.isoformat()) == (25990.5, "bhavcopy", "2026-01-05T15:29:00+05:30")
    legs = snap.legs
    # Kite's symbols: the weekly form with month 1 and day 06, the month's last expiry in the monthly form
    assert list(legs["tradingsymbol"]) == ["NIFTY2610626000CE", "NIFTY2610626000PE", "NIFTY2611326000CE",
                                           "NIFTY26JAN26000CE", "NIFTY26FEB26000PE"]
    assert list(legs["last_price"]) == [80.35, 90.10, 150.0, 250.0, 300.0]
    assert legs["instrument_token"].isna().all()
    assert np.isnan(legs[["bid", "ask", "bid_qty", "ask_qty", "average_price"]].to_numpy()).all()
    # the previous session's OI as the file states it: OI − change in OI
    previous = nifty.reference.prev_close_legs
    assert previous is not None
    assert list(previous["oi"])[:2] == [585_000.0, 6_500.0]


def test_an_underlying_without_a_contract_of_the_asked_tags_gives_no_chain(tmp_path: Path) -> None:
    rows = rows_of(DAY, "BANKNIFTY", 59000.0, [Contract(MONTHLY, 59000.0, "CE", 500.0)], 30)
    assert read_days([nse_file(tmp_path, rows)], tags=("this_week", "next_week")) == []


def test_an_expiry_under_two_tags_lists_its_contracts_under_both(tmp_path: Path) -> None:
    day = date(2026, 1, 21)  # next_week (27 Jan) is also this month's last expiry
    contracts = [Contract(e, 25000.0, s, 100.0) for e in (date(2026, 1, 22), MONTHLY, NEXT_MONTHLY) for s in ("CE", "PE")]
    [nifty] = read_days([nse_file(tmp_path, rows_of(day, "NIFTY", 25000.0, contracts, 65), day)])
    legs = nifty.snapshot.legs
    assert sorted(set(legs.loc[legs["expiry"] == MONTHLY, "expiry_tag"])) == ["next_week", "this_month"]
    assert len(legs) == 8


def test_a_holiday_moved_expiry_is_tagged_as_listed(tmp_path: Path) -> None:
    day = date(2026, 11, 20)  # Tue 24 Nov 2026 is a holiday: that week's NIFTY expiry is Mon 23 Nov
    moved, after = date(2026, 11, 23), date(2026, 12, 1)
    contracts = [Contract(e, 26000.0, "CE", 50.0) for e in (moved, after, date(2026, 12, 29))]
    [nifty] = read_days([nse_file(tmp_path, rows_of(day, "NIFTY", 26000.0, contracts, 65), day)])
    assert nifty.snapshot.expiries["this_week"] == moved
    assert nifty.snapshot.expiries["this_month"] == moved  # the last listed expiry of November
    assert list(nifty.snapshot.legs["tradingsymbol"])[:1] == ["NIFTY26NOV26000CE"]


def test_a_strike_window_keeps_the_strikes_around_the_forward(tmp_path: Path) -> None:
    strikes = [25800.0, 25900.0, 26000.0, 26100.0, 26200.0]
    # C − P is smallest at 26100: the window centres there
    prices = {25800.0: (300.0, 5.0), 25900.0: (220.0, 20.0), 26000.0: (150.0, 50.0), 26100.0: (90.0, 85.0),
              26200.0: (40.0, 140.0)}
    contracts = [Contract(MONTHLY, k, s, prices[k][0 if s == "CE" else 1]) for k in strikes for s in ("CE", "PE")]
    path = nse_file(tmp_path, rows_of(DAY, "BANKNIFTY", 26000.0, contracts, 30))
    [day] = read_days([path], window=(1, 1))
    assert sorted(set(day.snapshot.legs["strike"])) == [26000.0, 26100.0, 26200.0]
    assert day.snapshot.chain is not None and len(day.snapshot.chain) == 10  # the whole chain for PCR, max pain


def test_bse_derivatives_bhavcopy_in_the_same_layout_unzipped(tmp_path: Path) -> None:
    contracts = [Contract(date(2026, 1, 8), 84000.0, s, 300.0) for s in ("CE", "PE")]
    path = tmp_path / bse_name(DAY)
    path.write_bytes(csv_bytes(rows_of(DAY, "SENSEX", 84010.0, contracts, 20, exchange="BSE")))
    [sensex] = read_days(bhavcopy_files(tmp_path))
    assert (sensex.underlying, sensex.exchange, sensex.snapshot.spot) == ("SENSEX", "BSE", 84010.0)
    assert list(sensex.snapshot.legs["lot_size"]) == [20, 20]


def test_a_folder_lists_the_archive_files_of_the_range(tmp_path: Path) -> None:
    for day in (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)):
        (tmp_path / nse_name(day)).write_bytes(b"x")
    (tmp_path / "notes.csv").write_text("x")
    found = bhavcopy_files(tmp_path, start=date(2026, 1, 6))
    assert [p.name for p in found] == [nse_name(date(2026, 1, 6)), nse_name(date(2026, 1, 7))]
    with pytest.raises(BhavcopyError, match="no such file"):
        bhavcopy_files(tmp_path / "absent")


# ---- malformed input: the error names the file, the line and the column ------------------------------------


def bad_file(tmp_path: Path, column: str, value: str, row: int = 1) -> Path:
    rows = rows_of(DAY, "NIFTY", 26000.0, nifty_contracts(), 65)
    rows[row][column] = value
    path = tmp_path / "BhavCopy_NSE_FO_0_0_0_20260105_F_0000.csv"
    path.write_bytes(csv_bytes(rows))
    return path


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("SttlmPric", "12,5", None),  # an extra field: the CSV itself is broken
        ("SttlmPric", "abc", "SttlmPric 'abc' is not a number"),
        ("XpryDt", "06-Jan-2026", "XpryDt '06-Jan-2026' is not a date"),
        ("TradDt", "", "TradDt '' is not a date"),
        ("OptnTp", "XX", "OptnTp 'XX' is neither CE, PE nor empty"),
        ("StrkPric", "", "StrkPric '' is empty"),
        ("NewBrdLotQty", "6.5", "NewBrdLotQty '6.5' is not a positive whole lot size"),
        ("OpnIntrst", "-5", "OpnIntrst '-5' is negative"),
        ("XpryDt", "2026-01-02", "XpryDt '2026-01-02' is before the row's TradDt"),
    ],
)
def test_a_bad_value_is_refused_naming_file_line_and_column(
    tmp_path: Path, column: str, value: str, problem: str | None
) -> None:
    path = bad_file(tmp_path, column, value)
    with pytest.raises(BhavcopyError) as caught:
        read_days([path])
    message = str(caught.value)
    assert message.startswith(str(path))
    if problem is None:
        assert "line 3" in message
    else:
        assert message.startswith(f"{path} line 3: {problem}")


def test_a_file_without_the_udiff_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fo05JAN2026bhav.csv"
    old = ["INSTRUMENT", "SYMBOL", "EXPIRY_DT", "STRIKE_PR", "OPTION_TYP", "SETTLE_PR"]
    path.write_bytes(csv_bytes([{c: "1" for c in old}], old))
    with pytest.raises(BhavcopyError, match=r"fo05JAN2026bhav.csv: not a UDiFF F&O bhavcopy: the header lacks TradDt"):
        read_days([path])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n")
    with pytest.raises(BhavcopyError, match=r"empty\.csv: empty file"):
        read_days([empty])


def test_a_zip_must_hold_one_csv(tmp_path: Path) -> None:
    path = tmp_path / nse_name(DAY)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", csv_bytes([]))
        archive.writestr("b.csv", csv_bytes([]))
    with pytest.raises(BhavcopyError, match="holds one CSV"):
        read_days([path])


def test_a_contract_listed_twice_or_two_underlying_closes_are_refused(tmp_path: Path) -> None:
    contracts = nifty_contracts()
    path = nse_file(tmp_path, rows_of(DAY, "NIFTY", 26000.0, [*contracts, contracts[2]], 65))
    with pytest.raises(BhavcopyError, match=r"NIFTY on 2026-01-05: the contract 2026-01-13 26000 CE is listed twice "
                                            r"\(lines 4 and 7\)"):
        read_days([path])
    rows = rows_of(DAY, "NIFTY", 26000.0, contracts, 65)
    rows[3]["UndrlygPric"] = "26001.00"
    with pytest.raises(BhavcopyError, match=r"close differs between rows: 26000 \(line 2\) and 26001 \(line 5\)"):
        read_days([nse_file(tmp_path, rows)])


def test_the_header_is_the_documented_udiff_layout() -> None:
    from g6_pipeline.providers.bhavcopy.layout import UDIFF_COLUMNS

    assert UDIFF_COLUMNS == COLUMNS
