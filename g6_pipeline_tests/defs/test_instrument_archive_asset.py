"""The instrument archive as a daily asset: the sensor asks for each cached day once, the run archives the NFO
and BFO lists, `rule_drift` names exactly what the exchange changed, `dump_complete` fails on a list that lacks
a wanted index or is not there."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.data import load_instruments
from g6_pipeline.defs.reference.instruments import (
    INSTRUMENT_DAYS_NAME,
    instrument_archive,
    instrument_lists_sensor,
)
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline.instruments.cache import InstrumentCache
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.instruments.test_drift import dump, options

THURSDAY, FRIDAY = date(2025, 8, 28), date(2025, 8, 29)
BEFORE = [date(2025, 9, 4), date(2025, 9, 11), date(2025, 9, 25)]  # Thursdays: two weeklies and the month's last
AFTER = [date(2025, 9, 2), date(2025, 9, 9), date(2025, 9, 30)]  # the September 2025 swap to Tuesdays


def configured(root: Path) -> tuple[G6Resource, Path]:
    data = root / "data"
    config = make_config(root / "config", data)
    (config / "indices_config.json").write_text(json.dumps({
        "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "expiry_tags": ["this_week"]},
        "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX", "expiry_tags": ["this_week"]},
    }))
    return G6Resource(config_dir=str(config)), data


def cache_lists(data: Path) -> InstrumentCache:
    cache = InstrumentCache(data / "instruments", keep_days=30)
    cache.store("NFO", THURSDAY, dump(options("NIFTY", BEFORE, lot=75)))
    cache.store("BFO", THURSDAY, dump(options("SENSEX", BEFORE, lot=20, exchange="BFO")))
    # Friday: NIFTY's expiries move to Tuesday, its September lot becomes 65; SENSEX is not listed at all
    cache.store("NFO", FRIDAY, dump(options("NIFTY", AFTER, lot=75, lots={AFTER[-1]: 65})))
    cache.store("BFO", FRIDAY, dump(options("BANKEX", BEFORE, lot=30, exchange="BFO")))
    return cache


def test_the_sensor_asks_once_and_the_runs_archive_check_and_compare(tmp_path: Path) -> None:
    g6, data = configured(tmp_path)
    assert Path(str(DataLocation(data).instruments_dir().path)) == data / "instruments"
    cache_lists(data)
    definitions = dg.Definitions(assets=[instrument_archive], sensors=[instrument_lists_sensor],
                                 resources=shared_resources(g6))
    repository = definitions.get_repository_def()
    with dg.instance_for_test() as instance:
        def tick() -> dg.SensorResult:
            context = dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), resources={"g6": g6},
                                              repository_def=repository)
            return instrument_lists_sensor.evaluate_tick(context)  # type: ignore[return-value]

        first_tick = tick()
        assert [r.partition_key for r in first_tick.run_requests or []] == [THURSDAY.isoformat(), FRIDAY.isoformat()]
        for request in first_tick.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        assert not tick().run_requests  # asked once per day

        first = dg.materialize([instrument_archive], instance=instance, resources=shared_resources(g6),
                               partition_key=THURSDAY.isoformat())
        checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
        assert checks["dump_complete"].passed and checks["rule_drift"].passed
        # every cached day is archived by any run (a day whose own run never comes is kept while cached)
        assert load_instruments(FRIDAY, "BFO", data_dir=str(data))["name"].unique().tolist() == ["BANKEX"]
        assert checks["rule_drift"].description == "no earlier archived session to compare"

        # a blocking check failing fails the run (nothing downstream may use the day), its results are kept
        second = dg.materialize([instrument_archive], instance=instance, resources=shared_resources(g6),
                                partition_key=FRIDAY.isoformat(), raise_on_error=False)
        assert not second.success
        checks = {e.check_name: e for e in second.get_asset_check_evaluations()}
        drift = checks["rule_drift"]
        assert not drift.passed and drift.severity == dg.AssetCheckSeverity.WARN
        assert drift.description == (
            "rules changed: BFO BANKEX listed: not listed → expiries on THURSDAY, 2 weeklies, lot size 30, "
            "strike step 50; BFO SENSEX delisted: expiries on THURSDAY, 2 weeklies, lot size 20, strike step 50 → "
            "not listed; NFO NIFTY expiry_weekdays: THURSDAY → TUESDAY; "
            "NFO NIFTY lot_size: listed expiries: 75 → new expiry 2025-09-30: 65")
        complete = checks["dump_complete"]
        assert not complete.passed and complete.severity == dg.AssetCheckSeverity.ERROR
        assert complete.description == "BFO: lacks SENSEX"
    back = load_instruments(FRIDAY, "NFO", data_dir=str(data))
    assert sorted(set(back["expiry"])) == AFTER and set(back.loc[back["expiry"] == AFTER[-1], "lot_size"]) == {65}


def test_a_day_with_no_list_anywhere_fails_and_one_exchange_missing_is_incomplete(tmp_path: Path) -> None:
    g6, data = configured(tmp_path)
    cache = InstrumentCache(data / "instruments", keep_days=30)
    cache.store("NFO", THURSDAY, dump(options("NIFTY", BEFORE)))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(INSTRUMENT_DAYS_NAME, [THURSDAY.isoformat(), FRIDAY.isoformat()])
        result = dg.materialize([instrument_archive], instance=instance, resources=shared_resources(g6),
                                partition_key=THURSDAY.isoformat(), raise_on_error=False)
        (complete,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "dump_complete"]
        assert not complete.passed
        assert complete.description == "BFO: no instrument list of 2025-08-28 cached or archived"
        with pytest.raises(dg.Failure, match="nothing archived for 2025-08-29"):
            dg.materialize([instrument_archive], instance=instance, resources=shared_resources(g6),
                           partition_key=FRIDAY.isoformat())
