"""Changes across a weekly expiry: the day after, each series is compared with the same contract, never the
expired one, in the classic CSV (minute by minute and whole days) and in the Parquet analytics alike."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import date

import pytest

from g6_pipeline.analytics.enrich import enrich
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.snapshot import LEG_COLUMNS, EnrichedChain
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline_tests.fakes.chains import RATE, make_chain, minute

EXPIRY_DAY, AFTER = date(2026, 11, 17), date(2026, 11, 18)  # a Tuesday's weekly expiry, the Wednesday after
TAGS = ("this_week", "next_week", "this_month", "next_month")

# ATM (offset 0) last prices, CE and PE, set by hand. On the expiry day `this_week` (expiring that day) is
# nearly worthless and `next_week` is the contract of 2026-11-24; the day after, that contract is `this_week`.
CLOSE = {"this_week": (2.5, 1.0), "next_week": (100.0, 90.0), "this_month": (300.0, 280.0), "next_month": (400.0, 390.0)}
OPEN = {"this_week": (110.0, 95.0), "next_week": (150.0, 140.0), "this_month": (310.0, 282.0), "next_month": (404.0, 392.0)}
# Worked out by hand: this_week 205 vs the former next_week's 190 → +15, 15 / 190 = 7.8947 %; this_month
# 592 vs 580 → +12, 2.0690 %; next_month 796 vs 790 → +6, 0.7595 %; next_week (2026-12-01) was not collected
# on the expiry day: no base. Against the expired contract it would have been 205 − 3.5 = 201.5 (5757 %).
NET = {"this_week": (15.0, 7.8947), "next_week": None, "this_month": (12.0, 2.069), "next_month": (6.0, 0.7595)}


def _priced(day: date, hhmm: str, prices: dict[str, tuple[float, float]], oi: float = 50_000.0) -> EnrichedChain:
    """A chain of all four tags with its ATM legs at `prices` (and the ATM CE open interest `oi`)."""
    chain = make_chain("NIFTY", minute(day, hhmm), spot=24_000.0, tags=TAGS)
    options, overview = chain.options.copy(), dict(chain.overview)
    for tag, (ce, pe) in prices.items():
        at = (options["expiry_tag"] == tag) & (options["offset"] == 0)
        options.loc[at & (options["side"] == "CE"), ["last_price", "oi"]] = [ce, oi]
        options.loc[at & (options["side"] == "PE"), "last_price"] = pe
        overview[f"straddle_{tag}"] = ce + pe
    snapshot = replace(chain.snapshot, legs=options[list(LEG_COLUMNS)].copy())
    return EnrichedChain(snapshot=snapshot, options=options, overview=overview)


def _row(location: DataLocation, tag: str) -> dict[str, str]:
    text = location.read_bytes(location.classic_csv("NIFTY", tag, 0, AFTER)).decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    return row


def _check_csv(location: DataLocation) -> None:
    for tag, net in NET.items():
        row = _row(location, tag)
        assert row["expiry_date"] != EXPIRY_DAY.isoformat()
        if net is None:
            assert (row["tp_net_change"], row["tp_net_change_pct"]) == ("", ""), tag
        else:
            assert (float(row["tp_net_change"]), float(row["tp_net_change_pct"])) == net, tag
        assert float(row["tp_day_change"]) == 0.0  # the first minute of the day


def test_the_minute_writer_compares_each_series_with_the_same_contract(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    for chain in (_priced(EXPIRY_DAY, "1529", CLOSE), _priced(AFTER, "0915", OPEN)):
        assert sink.write([chain]).error is None
    _check_csv(location)


def test_a_whole_day_written_at_once_agrees(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    sink.write_day([_priced(EXPIRY_DAY, "1529", CLOSE)])
    sink.write_day([_priced(AFTER, "0915", OPEN)])
    _check_csv(location)


def test_a_rebuilt_file_keeps_the_same_contract_base(location: DataLocation) -> None:
    sink = ClassicCsvSink(location)
    sink.write([_priced(EXPIRY_DAY, "1529", CLOSE)])
    sink.write([_priced(AFTER, "0916", OPEN)])
    sink.write([_priced(AFTER, "0915", OPEN)])  # out of order: the file is rebuilt and its changes recomputed
    for tag, net in NET.items():
        text = location.read_bytes(location.classic_csv("NIFTY", tag, 0, AFTER)).decode()
        nets = [r["tp_net_change"] for r in csv.DictReader(io.StringIO(text))]
        assert nets == (["", ""] if net is None else [f"{net[0]:g}"] * 2), tag


def test_the_parquet_analytics_compare_the_same_contract(location: DataLocation, calendar: MarketCalendar) -> None:
    ParquetSink(location).write_day([_priced(EXPIRY_DAY, "1529", CLOSE)])
    today = _priced(AFTER, "0915", OPEN, oi=51_000.0)
    reference = ReferenceCache(location, calendar).get("NIFTY", AFTER, today.snapshot.expiries)
    enriched = enrich(today.snapshot, RATE, reference)
    # The bases are the previous close's straddles set above, by contract: 2026-11-24 was next_week (190).
    bases = {"this_week": 190.0, "next_week": None, "this_month": 580.0, "next_month": 790.0}
    for tag, base in bases.items():
        value, straddle = enriched.overview[f"straddle_net_change_{tag}"], enriched.overview[f"straddle_{tag}"]
        assert math.isnan(value) if base is None else value == pytest.approx(straddle - base), tag
    legs = enriched.options[(enriched.options["strike"] == 24_000.0) & (enriched.options["side"] == "CE")]
    by_tag = dict(zip(legs["expiry_tag"], legs["oi_change"], strict=True))
    # yesterday's 24000 CE of the same trading symbol had 50,000 (this_week's was next_week's); next_week's is new
    assert by_tag["this_week"] == 1_000.0 and by_tag["this_month"] == 1_000.0 and math.isnan(by_tag["next_week"])
