"""The collection job, run by Dagster in a temporary instance, writes the data users open."""

from __future__ import annotations

import csv
import multiprocessing
from datetime import datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline.history.gaps import day_gaps
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.parquet import ROW_KEY
from g6_pipeline.util.lock import exclusive_lock

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
SPAWN = multiprocessing.get_context("spawn")


def run_minute(config: Path, minute: datetime, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return collection_job.execute_in_process(
        run_config=minute_run_config(minute.isoformat()),
        instance=instance,
        resources=shared_resources(G6Resource(config_dir=str(config))),
    )


def test_collection_run_writes_parquet_and_classic_csv(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    with dg.instance_for_test() as instance:
        result = run_minute(config, MINUTE, instance)
    assert result.success

    settings = load_settings(config).settings
    day = MINUTE.date()
    market = SyntheticMarket(settings.synthetic.seed, MarketCalendar.load(config))
    for index in settings.enabled_indices:
        chain = load_chain(day, index, data_dir=str(data))
        assert set(chain["timestamp"]) == {pd.Timestamp(MINUTE)}
        assert set(chain["side"]) == {"CE", "PE"}
        assert not chain.duplicated(list(ROW_KEY)).any()
        # every stored price is the provider's quote for that instrument, not a made-up value
        exchange = settings.indices[index].exchange
        quotes = market.quote([f"{exchange}:{s}" for s in chain["tradingsymbol"]], MINUTE)
        quoted = np.array([quotes[f"{exchange}:{s}"]["last_price"] for s in chain["tradingsymbol"]])
        np.testing.assert_allclose(chain["last_price"].to_numpy(), quoted)
        assert np.isfinite(chain["iv"]).mean() > 0.9
        assert set(chain["expiry_tag"]) == set(settings.indices[index].expiry_tags)
        overview = load_overview(day, index, data_dir=str(data))
        assert len(overview) == 1

    nifty = load_chain(day, "NIFTY", expiry_tag="this_week", data_dir=str(data))
    atm = nifty[nifty["offset"] == 0]
    ce = float(atm.loc[atm["side"] == "CE", "last_price"].iloc[0])
    pe = float(atm.loc[atm["side"] == "PE", "last_price"].iloc[0])
    path = data / "g6_data" / "NIFTY" / "this_week" / "0" / f"{day.isoformat()}.csv"
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    row = rows[0]
    assert row["timestamp"] == "23-11-2026 10:15:00"
    assert float(row["ce"]) == pytest.approx(ce) and float(row["pe"]) == pytest.approx(pe)
    assert float(row["tp"]) == pytest.approx(ce + pe)
    assert float(row["strike"]) == pytest.approx(float(atm["strike"].iloc[0]))
    assert (data / "runtime_status.json").exists()


def test_rerunning_a_minute_replaces_it(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    with dg.instance_for_test() as instance:
        assert run_minute(config, MINUTE, instance).success
        first = load_chain(MINUTE.date(), "SENSEX", data_dir=str(data))
        assert run_minute(config, MINUTE, instance).success
        assert run_minute(config, MINUTE.replace(minute=16), instance).success
    both = load_chain(MINUTE.date(), "SENSEX", data_dir=str(data))
    assert len(first) and not both.duplicated(list(ROW_KEY)).any()
    # each minute holds the rows of exactly one run: the re-run replaced 10:15 whole (its window may differ)
    assert both.groupby("timestamp")["fetched_at"].nunique().tolist() == [1, 1]
    assert both.loc[both["timestamp"] == first["timestamp"].iloc[0], "fetched_at"].iloc[0] > first["fetched_at"].iloc[0]
    csv_file = data / "g6_data" / "SENSEX" / "this_week" / "0" / f"{MINUTE.date().isoformat()}.csv"
    stamps = [line.split(",")[0] for line in csv_file.read_text().splitlines()[1:]]
    assert stamps == ["23-11-2026 10:15:00", "23-11-2026 10:16:00"]


def test_failing_provider_fails_the_run_without_writing(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    platform = config / "platform_config.json"
    platform.write_text(platform.read_text().replace("{", '{"provider": "kite", "kite": {"token_file": "'
                                                     + str(config / "no-token") + '"}, ', 1))
    with dg.instance_for_test() as instance:
        result = collection_job.execute_in_process(
            run_config=minute_run_config(MINUTE.isoformat()),
            instance=instance,
            resources=shared_resources(G6Resource(config_dir=str(config))),
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "token" in str(failure.step_failure_data.error).lower()
    assert not (data / "parquet").exists()


def test_a_real_run_feeds_the_summary_and_the_panels(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from g6_pipeline.cli.main import main
    from g6_pipeline.live import verify_panels

    config, data = g6_env
    with dg.instance_for_test() as instance:
        assert run_minute(config, datetime.now(IST), instance).success
    assert verify_panels(str(data)) == []
    assert main(["summary", "--once", "--no-rich"]) == 0
    out = capsys.readouterr().out
    for index in ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"):
        assert index in out


def _hold(path: str, held: Event, release: Event) -> None:
    """Child process: hold a writer lock until told to let go."""
    with exclusive_lock(path, timeout=60):
        held.set()
        release.wait(300)


def test_a_minute_that_could_not_be_stored_fails_its_run_and_stays_a_gap(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    platform = config / "platform_config.json"
    platform.write_text(platform.read_text().replace('"collection": {', '"collection": {"writer_lock_seconds": 0, '))
    setup = ProcessSetup.load(load_settings(config, environ={}))
    held, release = SPAWN.Event(), SPAWN.Event()
    lock = setup.location.partition_lock_file(MINUTE.date(), "SENSEX").path
    holder = SPAWN.Process(target=_hold, args=(str(lock), held, release))
    with dg.instance_for_test() as instance:
        assert run_minute(config, MINUTE - timedelta(minutes=1), instance).success
        holder.start()
        try:
            assert held.wait(120)
            result = collection_job.execute_in_process(
                run_config=minute_run_config(MINUTE),
                instance=instance, resources=shared_resources(G6Resource(config_dir=str(config))),
                raise_on_error=False,
            )
        finally:
            release.set()
            holder.join(120)
        assert run_minute(config, MINUTE + timedelta(minutes=1), instance).success
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data is not None
    message = str(failure.step_failure_data.user_failure_data.description)
    assert message.startswith("minute 10:15 not stored whole: NIFTY, BANKNIFTY, FINNIFTY, SENSEX: not written: ")
    assert f"SENSEX.lock is held by pid {holder.pid}:" in message and "gave up after 0 s" in message
    gaps = day_gaps(setup, MINUTE.date(), MINUTE + timedelta(minutes=2))
    collected = MINUTE - timedelta(minutes=1)  # the first minute stored: those before it are gaps too
    assert {index: [m for m in minutes if m > collected] for index, minutes in gaps.items()} == {
        index: [MINUTE] for index in ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")}
    assert len(load_overview(MINUTE.date(), "SENSEX", data_dir=str(data))) == 2


def test_a_sink_that_wrote_one_index_short_fails_the_run(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    (data / "g6_data").mkdir(parents=True)
    (data / "g6_data" / "SENSEX").write_text("a file where the CSV sink needs a folder")
    with dg.instance_for_test() as instance:
        result = collection_job.execute_in_process(
            run_config=minute_run_config(MINUTE),
            instance=instance, resources=shared_resources(G6Resource(config_dir=str(config))), raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data is not None
    message = str(failure.step_failure_data.user_failure_data.description)
    assert message.startswith("minute 10:15 not stored whole: SENSEX: not written (classic_csv ")
    assert "sink " not in message  # said once, as the index's reason
