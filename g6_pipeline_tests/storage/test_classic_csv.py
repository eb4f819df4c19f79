"""The classic CSV: the original header, values computed here from the chains, no duplicate minute, crash safety."""

from __future__ import annotations

import csv
import io
import os
from datetime import date

import pytest

from g6_pipeline.storage import location as location_module
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.chains import make_chain, make_day, minute

DAY = date(2026, 11, 23)
PREVIOUS = date(2026, 11, 20)
ORIGINAL_HEADER = (
    "timestamp,index,expiry_tag,expiry_date,offset,index_price,atm,strike,ce,pe,tp,avg_ce,avg_pe,avg_tp,ce_vol,"
    "pe_vol,ce_oi,pe_oi,ce_iv,pe_iv,ce_delta,pe_delta,ce_theta,pe_theta,ce_vega,pe_vega,ce_gamma,pe_gamma,ce_rho,"
    "pe_rho,tp_net_change,tp_day_change"
)


def _rows(location: DataLocation, tag: str, offset: int, day: date = DAY) -> list[dict[str, str]]:
    text = location.read_bytes(location.classic_csv("NIFTY", tag, offset, day)).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _leg(chain, tag: str, offset: int, side: str, column: str) -> float:  # type: ignore[no-untyped-def]
    o = chain.options
    return float(o.loc[(o.expiry_tag == tag) & (o.offset == offset) & (o.side == side), column].iloc[0])


def test_header_layout_and_values(location: DataLocation) -> None:
    chain = make_chain("NIFTY", minute(DAY, "0915"))
    assert ClassicCsvSink(location).write([chain]).error is None
    path = location.classic_csv("NIFTY", "this_week", 50, DAY)
    assert path.path.endswith("g6_data/NIFTY/this_week/+50/2026-11-23.csv")
    first_line = location.read_bytes(path).decode().splitlines()[0]
    assert first_line == ORIGINAL_HEADER + ",tp_net_change_pct,tp_day_change_pct"
    (row,) = _rows(location, "this_week", 50)
    ce, pe = (
        _leg(chain, "this_week", 50, "CE", "last_price"),
        _leg(chain, "this_week", 50, "PE", "last_price"),
    )
    assert row["timestamp"] == "23-11-2026 09:15:00"
    assert (row["index"], row["expiry_tag"], row["offset"]) == ("NIFTY", "this_week", "+50")
    assert row["expiry_date"] == chain.snapshot.expiries["this_week"].isoformat()
    assert float(row["strike"]) == 24_050 and float(row["atm"]) == 24_000
    assert float(row["ce"]) == pytest.approx(ce) and float(row["pe"]) == pytest.approx(pe)
    assert float(row["tp"]) == pytest.approx(ce + pe)
    avg = _leg(chain, "this_week", 50, "CE", "average_price") + _leg(
        chain, "this_week", 50, "PE", "average_price"
    )
    assert float(row["avg_tp"]) == pytest.approx(avg)
    assert float(row["ce_oi"]) == 50_050 and float(row["pe_delta"]) == -0.5
    assert row["tp_net_change"] == "" and row["tp_net_change_pct"] == ""  # no previous day: unknown, not 0
    assert float(row["tp_day_change"]) == 0.0
    (over,) = list(
        csv.DictReader(io.StringIO(location.read_bytes(location.overview_csv("NIFTY", DAY)).decode()))
    )
    assert list(over)[:3] == ["timestamp", "index", "pcr_this_week"] and "VIX" in over
    assert (
        float(over["pcr_this_week"]) == pytest.approx(chain.overview["pcr_this_week"])
        and over["pcr_next_week"] == "" and float(over["VIX"]) == 13.25
    )
    assert over["expected_mask"] == "5" and over["missing_mask"] == "0"


def test_changes_against_first_tp_of_the_day_and_previous_day_last_tp(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    yesterday = make_day("NIFTY", PREVIOUS, ["1528", "1529"])
    today = [make_chain("NIFTY", minute(DAY, m), spot=s) for m, s in (("0915", 24_020.0), ("0916", 23_990.0))]
    for chain in [*yesterday, *today]:
        sink.write([chain])

    def tp(chain) -> float:  # type: ignore[no-untyped-def]
        return _leg(chain, "this_week", 0, "CE", "last_price") + _leg(
            chain, "this_week", 0, "PE", "last_price"
        )

    prev_last, first = tp(yesterday[-1]), tp(today[0])
    rows = _rows(location, "this_week", 0)
    assert [r["timestamp"][-8:] for r in rows] == ["09:15:00", "09:16:00"]
    for row, chain in zip(rows, today, strict=True):
        assert float(row["tp_day_change"]) == pytest.approx(tp(chain) - first, abs=1e-6)
        assert float(row["tp_net_change"]) == pytest.approx(tp(chain) - prev_last, abs=1e-6)
        assert float(row["tp_net_change_pct"]) == pytest.approx(
            (tp(chain) - prev_last) / prev_last * 100, abs=1e-4
        )
        assert float(row["tp_day_change_pct"]) == pytest.approx((tp(chain) - first) / first * 100, abs=1e-4)


def test_rerunning_a_minute_replaces_its_row(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    for spot in (24_000.0, 24_005.0, 24_007.0):
        sink.write([make_chain("NIFTY", minute(DAY, "0915"), spot=spot)])
    sink.write([make_chain("NIFTY", minute(DAY, "0916"))])
    sink.write([make_chain("NIFTY", minute(DAY, "0916"))])
    rows = _rows(location, "this_month", -100)
    assert [r["timestamp"] for r in rows] == ["23-11-2026 09:15:00", "23-11-2026 09:16:00"]
    assert float(rows[0]["index_price"]) == 24_007.0
    overview = location.read_bytes(location.overview_csv("NIFTY", DAY)).decode().splitlines()
    assert len(overview) == 3


def test_out_of_order_minute_is_inserted_and_day_change_rebased(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    late = make_chain("NIFTY", minute(DAY, "0916"), spot=24_000.0)
    early = make_chain("NIFTY", minute(DAY, "0915"), spot=24_030.0)
    sink.write([late])
    sink.write([early])
    rows = _rows(location, "this_week", 0)
    assert [r["timestamp"][-8:] for r in rows] == ["09:15:00", "09:16:00"]
    first = float(rows[0]["tp"])
    assert float(rows[1]["tp_day_change"]) == pytest.approx(float(rows[1]["tp"]) - first, abs=1e-6)


def test_missing_leg_leaves_fields_empty(location: DataLocation) -> None:
    chain = make_chain("NIFTY", minute(DAY, "0915"), drop=[("this_week", -50, "PE")])
    ClassicCsvSink(location).write([chain])
    (row,) = _rows(location, "this_week", -50)
    assert row["pe"] == "" and row["tp"] == "" and row["pe_iv"] == "" and row["tp_day_change"] == ""
    assert float(row["ce"]) > 0


def test_crash_before_rename_keeps_the_previous_file(
    location: DataLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = ClassicCsvSink(location)
    sink.write([make_chain("NIFTY", minute(DAY, "0915"))])
    path = location.classic_csv("NIFTY", "this_week", 0, DAY)
    before = location.read_bytes(path)

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(location_module.os, "replace", crash)
    outcome = sink.write([make_chain("NIFTY", minute(DAY, "0915"), spot=24_040.0)])  # a re-run rebuilds
    monkeypatch.undo()
    assert outcome.error is not None and "simulated crash" in outcome.error
    assert location.read_bytes(path) == before
    assert location.list_names(path.parent) == ["2026-11-23.csv"]
    assert not any(n.startswith(".") for n in os.listdir(path.parent.path))


def test_a_cut_short_last_line_is_dropped_on_the_next_write(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    sink.write([make_chain("NIFTY", minute(DAY, "0915"))])
    path = location.classic_csv("NIFTY", "this_week", 0, DAY)
    with open(path.path, "ab") as handle:
        handle.write(b"23-11-2026 09:16:00,NIFTY,this_w")
    sink.write([make_chain("NIFTY", minute(DAY, "0917"))])
    rows = _rows(location, "this_week", 0)
    assert [r["timestamp"][-8:] for r in rows] == ["09:15:00", "09:17:00"]
    assert all(len(r) == 34 and None not in r for r in rows)


def test_write_day_gives_the_same_files_as_minute_by_minute(location: DataLocation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    minutes = ["0915", "0916", "0917", "0918"]
    yesterday = make_day("NIFTY", PREVIOUS, ["1529"])
    today = make_day("NIFTY", DAY, minutes, drop=[("this_week", 100, "CE")])
    bulk = DataLocation(tmp_path / "bulk")
    ClassicCsvSink(bulk).write_day(yesterday)
    ClassicCsvSink(bulk).write_day(today)
    for chain in [*yesterday, *today]:
        ClassicCsvSink(location).write([chain])
    for tag in ("this_week", "this_month"):
        for offset in range(-150, 151, 50):
            assert bulk.read_bytes(bulk.classic_csv("NIFTY", tag, offset, DAY)) == location.read_bytes(
                location.classic_csv("NIFTY", tag, offset, DAY)
            )
    assert bulk.read_bytes(bulk.overview_csv("NIFTY", DAY)) == location.read_bytes(
        location.overview_csv("NIFTY", DAY)
    )


def test_a_bad_chain_does_not_stop_the_others(location: DataLocation) -> None:
    good = make_chain("BANKNIFTY", minute(DAY, "0915"))
    chain = make_chain("NIFTY", minute(DAY, "0915"))
    bad = type(chain)(chain.snapshot, chain.options, {k: v for k, v in chain.overview.items() if k != "vix"})
    outcome = ClassicCsvSink(location).write([bad, good])
    assert outcome.error is not None and outcome.error.startswith("NIFTY:")
    assert outcome.rows == 14
    assert location.exists(location.classic_csv("BANKNIFTY", "this_week", 0, DAY))
    assert not location.exists(location.classic_csv("NIFTY", "this_week", 0, DAY))


def test_csv_rebuilt_from_parquet_equals_the_minute_files(location: DataLocation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from g6_pipeline.storage.parquet import ParquetSink
    from g6_pipeline.storage.reader import read_chain, read_overview

    chains = make_day("NIFTY", DAY, ["0915", "0916", "0917"])
    for chain in chains:
        ParquetSink(location).write([chain])
        ClassicCsvSink(location).write([chain])
    rebuilt = DataLocation(tmp_path / "rebuilt")
    ClassicCsvSink(rebuilt).write_day_frames(
        read_chain(location, DAY, "NIFTY"), read_overview(location, DAY, "NIFTY")
    )
    for offset in (-150, 0, 100):
        path = ("NIFTY", "this_month", offset, DAY)
        assert rebuilt.read_bytes(rebuilt.classic_csv(*path)) == location.read_bytes(
            location.classic_csv(*path)
        )
    assert rebuilt.read_bytes(rebuilt.overview_csv("NIFTY", DAY)) == location.read_bytes(
        location.overview_csv("NIFTY", DAY)
    )
