"""The parts one process is built from, assembled once from the settings and handed down.

`ProcessSetup` is what every G6 process needs (settings, market calendar, data location, sinks); a
`Collector` adds the provider and the publishers of a collection process. A process builds its setup once
(the Dagster resource, a CLI command, a backfill worker) and passes it to everything it calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.report import CycleReport
from g6_pipeline.providers import Provider, make_provider
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.sink import Sink

Publisher = Callable[[CycleReport], None]


@dataclass(frozen=True)
class ProcessSetup:
    """The validated settings, the market calendar and the data location of one process; its sinks on first use."""

    loaded: LoadedSettings
    calendar: MarketCalendar
    location: DataLocation

    @classmethod
    def load(cls, loaded: LoadedSettings) -> ProcessSetup:
        """Read the market calendar of the configuration folder and open the data location."""
        return cls(loaded, MarketCalendar.load(loaded.config_dir), DataLocation(loaded.settings.data_dir))

    @property
    def settings(self) -> Settings:
        """The validated settings."""
        return self.loaded.settings

    @cached_property
    def sinks(self) -> list[Sink]:
        """The configured sinks, built on first use."""
        return build_sinks(self.settings, self.location)


@dataclass
class Collector:
    """The setup, provider and publishers of one collection process."""

    setup: ProcessSetup
    provider: Provider
    publishers: list[tuple[str, Publisher]] = field(default_factory=list)

    @classmethod
    def from_setup(cls, setup: ProcessSetup, *, provider: Provider | None = None) -> Collector:
        """Add the configured provider (or the given one) and the publishers to a process's setup."""
        settings = setup.settings
        chosen = provider or make_provider(
            settings, cache_dir=instrument_cache_dir(setup.location), calendar=setup.calendar
        )
        return cls(setup=setup, provider=chosen, publishers=build_publishers(settings))

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


def instrument_cache_dir(location: DataLocation) -> Path:
    """Instrument dumps are cached on local disk: under the data directory, or ~/.cache/g6 for a remote one."""
    if location.is_local:
        return Path(str(location.instruments_dir().path))
    return Path.home() / ".cache" / "g6" / "instruments"


def build_sinks(settings: Settings, location: DataLocation) -> list[Sink]:
    """Parquet always (first); classic CSV unless switched off; InfluxDB when a URL is configured."""
    from g6_pipeline.storage.classic_csv import ClassicCsvSink
    from g6_pipeline.storage.parquet import ParquetSink

    sinks: list[Sink] = [ParquetSink(location, compression=settings.storage.parquet_compression)]
    if settings.storage.csv_enabled:
        sinks.append(ClassicCsvSink(location))
    if settings.influx.enabled:
        from g6_pipeline.storage.influx import InfluxSink

        influx = InfluxSink.from_settings(settings)
        if influx is not None:
            sinks.append(influx)
    return sinks


def build_publishers(settings: Settings) -> list[tuple[str, Publisher]]:
    """Metrics (pushed when a Pushgateway is configured) and the live status files."""
    from g6_pipeline.live import publish
    from g6_pipeline.metrics import push_cycle

    def metrics(report: CycleReport) -> None:
        push_cycle(report, settings)

    def live_status(report: CycleReport) -> None:
        publish(report, settings)

    return [("metrics", metrics), ("live status", live_status)]
