"""Minutes cut at the boundary: which minute is requested when, the wait for a minute's first instant, and an early
run that never fetches quotes from before its minute."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.collection import cycle
from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import analytics_step, fetch_step, write_step
from g6_pipeline.collection.timing import instant_to_collect, minute_to_request, wait_until
from g6_pipeline.core.clock import IST, now_ist
from g6_pipeline.data import load_chain
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.chain import ChainProvider
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.providers.sources import SyntheticSource
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config

MINUTE = datetime(2026, 11, 23, 10, 5, tzinfo=IST)


def at(second: float) -> datetime:
    return datetime(2026, 11, 23, 10, 4, tzinfo=IST) + timedelta(seconds=second)


@pytest.mark.parametrize(
    ("second", "grace", "expected"),
    [
        (0, 45.0, "10:04"), (30, 45.0, "10:04"), (31, 45.0, None), (34.9, 45.0, None), (35, 45.0, "10:05"),
        (59.9, 45.0, "10:05"), (34, None, "10:04"), (36, None, "10:05"), (5, 10.0, None),
    ],
)
def test_the_minute_to_request(second: float, grace: float | None, expected: str | None) -> None:
    plan = minute_to_request(at(second), grace)
    assert (plan.minute.strftime("%H:%M") if plan.minute else None) == expected, plan.reason


def test_a_manual_cycle_fetches_now_while_it_can_make_the_grace_else_at_the_next_minute() -> None:
    assert instant_to_collect(at(20), 45.0) == at(20)
    assert instant_to_collect(at(40), 45.0) == at(40)
    assert instant_to_collect(at(41), 45.0) == MINUTE
    assert instant_to_collect(at(59), None) == at(59)


def test_the_wait_ends_once_the_clock_has_reached_the_deadline() -> None:
    deadline = now_ist() + timedelta(milliseconds=30)
    wait_until(deadline)
    assert now_ist() >= deadline
    readings = iter([deadline - timedelta(milliseconds=20), deadline - timedelta(milliseconds=5), deadline])
    seen: list[datetime] = []

    def lagging() -> datetime:  # a clock that says the first wake-ups came early
        seen.append(next(readings))
        return seen[-1]

    wait_until(deadline, clock=lagging)
    assert seen[-1] == deadline and len(seen) == 3


def test_a_set_stop_event_ends_the_wait() -> None:
    stop = threading.Event()
    stop.set()
    wait_until(now_ist() + timedelta(days=1), stop=stop)  # returns at once


def launched_ahead(tmp_path: Path, clock: dict[str, datetime]) -> Collector:
    """A collector with the default late-run grace whose synthetic market and market clock are `clock`."""
    config = make_config(tmp_path / "config", tmp_path / "data", collection={"late_grace_seconds": 45})
    setup = ProcessSetup.load(load_settings(config))
    source = SyntheticSource(synthetic_market(setup.settings, setup.calendar))
    collector = Collector.from_setup(setup, provider=ChainProvider("synthetic", source, clock=lambda: clock["now"]))
    collector.publishers = []
    return collector


def record_calls(
    collector: Collector, clock: dict[str, datetime], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, datetime]]:
    """(what, market clock) of the provider's `prepare` and `fetch`, in order."""
    calls: list[tuple[str, datetime]] = []
    provider = collector.provider
    assert isinstance(provider, ChainProvider)
    for name in ("prepare", "fetch"):
        real = getattr(provider, name)

        def recorded(*args: object, _name: str = name, _real: object = real) -> object:
            calls.append((_name, clock["now"]))
            return _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(provider, name, recorded)
    monkeypatch.setattr(cycle, "now_ist", lambda: clock["now"])
    return calls


def test_a_run_launched_ahead_prepares_waits_and_fetches_at_its_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": MINUTE - timedelta(seconds=13)}
    collector = launched_ahead(tmp_path, clock)
    calls = record_calls(collector, clock, monkeypatch)

    def wait(deadline: datetime) -> float:
        calls.append(("wait", deadline))
        clock["now"] = deadline
        return 13.0

    monkeypatch.setattr(cycle, "wait_until", wait)
    state = write_step(collector, analytics_step(collector, fetch_step(collector, MINUTE)))
    assert [what for what, _ in calls] == ["prepare", "wait", "fetch"]
    assert calls[0][1] < MINUTE and calls[1][1] == MINUTE and calls[2][1] >= MINUTE
    assert state.error is None and state.waited_seconds == 13.0 and len(state.chains) == 4
    assert state.stats.first_quote_at is not None and state.stats.first_quote_at >= MINUTE
    stored = load_chain(MINUTE.date(), "NIFTY", data_dir=str(tmp_path / "data"))
    assert set(stored["timestamp"]) == {MINUTE}
    assert (stored["exchange_timestamp"] >= MINUTE).all()  # the exchange's clock: quoted in the minute, not before


def test_an_early_run_whose_wait_ends_before_its_minute_fetches_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": MINUTE - timedelta(seconds=13)}
    collector = launched_ahead(tmp_path, clock)
    calls = record_calls(collector, clock, monkeypatch)
    monkeypatch.setattr(cycle, "wait_until", lambda deadline: 0.0)  # interrupted: the clock is still before it
    state = write_step(collector, analytics_step(collector, fetch_step(collector, MINUTE)))
    assert [what for what, _ in calls] == ["prepare"]  # never asked for a quote
    assert state.error is not None and "2026-11-23 10:05 not written" in state.error
    assert "10:04:47.000, before the minute began" in state.error
    assert not state.chains and not state.sinks
    assert not (tmp_path / "data" / "parquet").exists()
