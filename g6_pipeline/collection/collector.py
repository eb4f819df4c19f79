"""A collection process: its setup (`process.setup.ProcessSetup`) with the provider and the publishers.

Every minute run is a process of its own, so what the configured provider learns across minutes (its
circuit breaker, the strike-window centre per index and expiry, and what its source keeps: the simulated
market's session open) is kept in
`DataLocation.provider_state_file()`: loaded when the collector is built, saved after every cycle.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.report import CycleReport
from g6_pipeline.process.setup import ProcessSetup, instrument_cache_dir
from g6_pipeline.providers import ChainProvider, Provider, make_provider
from g6_pipeline.providers.resilience import CircuitBreaker
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.sink import Sink

log = logging.getLogger(__name__)
Publisher = Callable[[CycleReport], None]
PROVIDER_STATE_SCHEMA = "g6.provider_state.v1"


@dataclass
class Collector:
    """The setup, provider and publishers of one collection process."""

    setup: ProcessSetup
    provider: Provider
    publishers: list[tuple[str, Publisher]] = field(default_factory=list)

    @classmethod
    def from_setup(cls, setup: ProcessSetup, *, provider: Provider | None = None, manual: bool = False) -> Collector:
        """Add the configured provider (or the given one) and the publishers to a process's setup.

        The configured provider starts from the state the last run kept, and keeps its own after every cycle;
        a given provider (a test's, a backfill's) neither reads nor writes that state. A `manual` collector
        (`g6 collect --once`) publishes only while no pipeline run keeps the live status (`build_publishers`).
        """
        settings = setup.settings
        if provider is not None:
            return cls(setup=setup, provider=provider, publishers=build_publishers(settings, setup.location, manual))
        chosen = make_provider(settings, cache_dir=instrument_cache_dir(setup.location), calendar=setup.calendar)
        load_provider_state(chosen, setup.location)

        def keep_state(report: CycleReport) -> None:
            save_provider_state(chosen, setup.location, report.minute.date())

        publishers = [("provider state", keep_state), *build_publishers(settings, setup.location, manual)]
        return cls(setup=setup, provider=chosen, publishers=publishers)

    @classmethod
    def from_settings(cls, loaded: LoadedSettings, *, provider: Provider | None = None) -> Collector:
        """Build the setup and every part from validated settings (a given `provider` replaces the configured one)."""
        return cls.from_setup(ProcessSetup.load(loaded), provider=provider)

    @property
    def settings(self) -> Settings:
        """The validated settings."""
        return self.setup.settings

    @property
    def calendar(self) -> MarketCalendar:
        """The market calendar."""
        return self.setup.calendar

    @property
    def location(self) -> DataLocation:
        """Where the sinks write."""
        return self.setup.location

    @property
    def sinks(self) -> list[Sink]:
        """Every configured sink."""
        return self.setup.sinks


def build_publishers(
    settings: Settings, location: DataLocation, manual: bool = False
) -> list[tuple[str, Publisher]]:
    """Metrics (pushed when a Pushgateway is configured) and the live status files in the process's location.

    A `manual` cycle's publishers stand aside while the running pipeline keeps the live status
    (`live.status.pipeline_keeps_status`): its metrics and status would replace the pipeline's, refused or
    failed though it may be, for no one's benefit; its report goes to the terminal instead.
    """
    from g6_pipeline.live import publish
    from g6_pipeline.live.status import pipeline_keeps_status
    from g6_pipeline.metrics import push_cycle

    def kept(report: CycleReport, say: bool = False) -> bool:
        if not manual:
            return False
        written = pipeline_keeps_status(location, report.finished_at)
        if written is not None and say:
            log.warning("minute %s: metrics and live status left to the running pipeline (it wrote the status at "
                        "%s)", report.minute.strftime("%H:%M"), written.strftime("%H:%M:%S"))
        return written is not None

    def metrics(report: CycleReport) -> None:
        if not kept(report):
            push_cycle(report, settings)

    def live_status(report: CycleReport) -> None:
        if not kept(report, say=True):
            publish(report, settings, location, origin="manual" if manual else "pipeline")

    return [("metrics", metrics), ("live status", live_status)]


def breaker_of(provider: Provider) -> CircuitBreaker | None:
    """The circuit breaker of a provider's quote source, when it has one (Kite does; the simulations do not)."""
    breaker = getattr(getattr(provider, "source", None), "breaker", None)
    return breaker if isinstance(breaker, CircuitBreaker) else None


def read_provider_state(location: DataLocation, provider: str) -> dict[str, Any]:
    """The state the last run of `provider` kept; empty when there is none, it is unreadable, or of another provider."""
    path = location.provider_state_file()
    try:
        saved = json.loads(location.read_bytes(path))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable provider state %s: %s", path, exc)
        return {}
    if not isinstance(saved, dict) or saved.get("schema") != PROVIDER_STATE_SCHEMA or saved.get("provider") != provider:
        return {}
    return saved


WINDOW_FIELDS = ("centre", "total_vol")
"""What the provider state keeps per (index, expiry) for the next run's strike windows."""


def load_provider_state(provider: Provider, location: DataLocation) -> None:
    """Start the provider's breaker and strike-window centres from the state its last run kept."""
    saved = read_provider_state(location, provider.name)
    breaker = breaker_of(provider)
    if breaker is not None and isinstance(saved.get("breaker"), dict):
        breaker.restore(saved["breaker"])
    if isinstance(provider, ChainProvider):
        state: dict[str, dict[tuple[str, date], float]] = {name: {} for name in WINDOW_FIELDS}
        for item in saved.get("centres") or []:
            try:
                key = (str(item["index"]), date.fromisoformat(item["expiry"]))
                for name in WINDOW_FIELDS:
                    if item.get(name) is not None:
                        state[name][key] = float(item[name])
            except (KeyError, TypeError, ValueError):
                continue
        provider.restore_window_state(state)
        provider.restore_source_state(saved.get("source") or {})


def save_provider_state(provider: Provider, location: DataLocation, today: date) -> None:
    """Keep the provider's breaker and the centres of expiries from `today` on, atomically, for the next run."""
    breaker = breaker_of(provider)
    window = provider.window_state() if isinstance(provider, ChainProvider) else {}
    keys = sorted({key for values in window.values() for key in values})
    state = {
        "schema": PROVIDER_STATE_SCHEMA,
        "provider": provider.name,
        "saved_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "breaker": breaker.export() if breaker is not None else None,
        "source": provider.source_state() if isinstance(provider, ChainProvider) else {},
        "centres": [
            {"index": index, "expiry": expiry.isoformat(),
             **{name: window[name][(index, expiry)] for name in WINDOW_FIELDS if (index, expiry) in window.get(name, {})}}
            for index, expiry in keys
            if expiry >= today
        ],
    }
    location.write_atomic(location.provider_state_file(), json.dumps(state, indent=1).encode(), durable=False)


def saved_circuit(setup: ProcessSetup) -> CircuitBreaker | None:
    """The configured provider's circuit breaker as its last run left it (Kite only), for the minute sensor."""
    if setup.settings.provider != "kite":
        return None
    saved = read_provider_state(setup.location, "kite").get("breaker")
    kite = setup.settings.kite
    breaker = CircuitBreaker(kite.circuit_breaker_failures, kite.circuit_breaker_reset_seconds)
    if isinstance(saved, dict):
        breaker.restore(saved)
    return breaker
