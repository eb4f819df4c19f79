"""What the provider learns in one minute run (the strike-window centres) is there in the next run's process."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import fetch_step, run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.providers import make_provider
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config

MINUTE_1 = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
MINUTE_2 = datetime(2026, 11, 23, 10, 16, tzinfo=IST)


def collector(config: Path) -> Collector:
    """A collector as a new minute-run process builds it."""
    built = Collector.from_settings(load_settings(config))
    built.publishers = [(name, p) for name, p in built.publishers if name == "provider state"]
    return built


def strikes(c: Collector, minute: datetime) -> dict[tuple[str, str], list[float]]:
    """The strikes fetched for each (index, expiry tag) at `minute`."""
    state = fetch_step(c, minute)
    return {
        (name, str(tag)): sorted(set(legs["strike"]))
        for name, snap in state.snapshots.items()
        for tag, legs in snap.legs.groupby("expiry_tag")
    }


def test_a_new_run_centres_its_strike_window_as_one_long_process_would(g6_env: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = g6_env
    run_cycle(collector(config), MINUTE_1)
    saved = json.loads((data / "_state" / "provider.json").read_text())
    assert saved["provider"] == "synthetic" and saved["breaker"] is None
    indices = load_settings(config).settings.enabled_indices
    assert {c["index"] for c in saved["centres"]} == set(indices)
    assert all(c["expiry"] >= MINUTE_1.date().isoformat() for c in saved["centres"])

    # the same two minutes in one process that lives through both (another data directory)
    long_lived = collector(make_config(tmp_path / "other_config", tmp_path / "other_data"))
    run_cycle(long_lived, MINUTE_1)
    assert strikes(collector(config), MINUTE_2) == strikes(long_lived, MINUTE_2)


def test_a_given_provider_neither_reads_nor_writes_the_state(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    loaded = load_settings(config)
    settings = loaded.settings
    given = make_provider(settings, cache_dir=data / "instruments", calendar=collector(config).calendar)
    built = Collector.from_settings(loaded, provider=given)
    assert "provider state" not in dict(built.publishers)
    built.publishers = []
    run_cycle(built, MINUTE_1)
    assert not (data / "_state").exists()


def test_an_unreadable_state_is_ignored_with_a_warning(
    g6_env: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    config, data = g6_env
    (data / "_state").mkdir(parents=True)
    (data / "_state" / "provider.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="g6_pipeline.collection.collector"):
        fresh = collector(config)
    assert "unreadable provider state" in caplog.text
    run_cycle(fresh, MINUTE_1)  # and the next cycle writes a good one over it
    assert json.loads((data / "_state" / "provider.json").read_text())["schema"] == "g6.provider_state.v1"
