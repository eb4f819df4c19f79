"""After the close on an expiry day the chain rolls to the next expiry: fetched snapshots and stored rows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.sources import SyntheticSource
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline.settings.model import IndexSettings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, read_table
from g6_pipeline_tests.fakes.config import make_config

EXPIRY_DAY = date(2026, 11, 23)  # NIFTY's weekly and monthly expiries, moved to Monday by a Tuesday holiday
BEFORE = datetime(2026, 11, 23, 15, 29, tzinfo=IST)
AFTER = datetime(2026, 11, 23, 15, 31, tzinfo=IST)


def nifty_expiries(market: SyntheticMarket) -> list[date]:
    """NIFTY's option expiries listed in the dump of the expiry day, in order."""
    dump = market.instruments("NFO", EXPIRY_DAY)
    opts = dump.loc[(dump["name"] == "NIFTY") & dump["instrument_type"].isin(["CE", "PE"])]
    return sorted(set(opts["expiry"]))


def nifty() -> dict[str, IndexSettings]:
    spec = SPECS["NIFTY"]
    return {"NIFTY": IndexSettings(exchange=spec.exchange, spot_key=spec.spot_key, strikes_below=2,  # type: ignore[arg-type]
                                   strikes_above=2, expiry_tags=["this_week", "next_week"])}


def test_this_week_is_the_days_contract_until_the_close_then_the_next(market: SyntheticMarket) -> None:
    listed = nifty_expiries(market)
    assert listed[0] == EXPIRY_DAY  # the expired weekly is still in the day's dump
    provider = ChainProvider("synthetic", SyntheticSource(market))
    before = provider.fetch(nifty(), BEFORE).snapshots["NIFTY"]
    after = provider.fetch(nifty(), AFTER).snapshots["NIFTY"]
    assert before.expiries == {"this_week": listed[0], "next_week": listed[1]}
    assert after.expiries == {"this_week": listed[1], "next_week": listed[2]}
    assert set(after.legs["expiry"]) == {listed[1], listed[2]}


def test_rows_stored_after_the_close_carry_the_next_expiry(tmp_path: Path, market: SyntheticMarket) -> None:
    listed = nifty_expiries(market)
    config = make_config(tmp_path / "config", tmp_path / "data")
    collector = Collector.from_settings(load_settings(config, environ={}))
    collector.publishers = []
    location = DataLocation(tmp_path / "data")
    stored: dict[datetime, pd.DataFrame] = {}
    for minute in (BEFORE, AFTER):
        assert run_cycle(collector, minute).indices["NIFTY"].status == "ok"
        path = location.minute_slice(OPTIONS, EXPIRY_DAY, "NIFTY", minute)
        stored[minute] = read_table(location, path).to_pandas()
    week = {m: f.loc[f["expiry_tag"] == "this_week", "expiry"] for m, f in stored.items()}
    assert len(week[BEFORE]) and len(week[AFTER])
    assert {pd.Timestamp(e).date() for e in week[BEFORE]} == {listed[0]}
    assert {pd.Timestamp(e).date() for e in week[AFTER]} == {listed[1]}
    assert listed[0] not in {pd.Timestamp(e).date() for e in stored[AFTER]["expiry"]}
