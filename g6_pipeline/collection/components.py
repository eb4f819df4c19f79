"""The parts one collection process is built from, assembled once from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.report import CycleReport
from g6_pipeline.providers import Provider, make_provider
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.sink import Sink

Publisher = Callable[[CycleReport], None]


@dataclass
class Collector:
    """Settings, calendar, provider, sinks and publishers of one collection process."""

    settings: Settings
    config_dir: Path
    calendar: MarketCalendar
    provider: Provider
    location: DataLocation
    sinks: list[Sink] = field(default_factory=list)
    publishers: list[tuple[str, Publisher]] = field(default_factory=list)

    @classmethod
    def from_settings(cls, loaded: LoadedSettings, *, provider: Provider | None = None) -> Collector:
        """Build every part from validated settings (a given `provider` replaces the configured one)."""
        settings = loaded.settings
        calendar = MarketCalendar.load(loaded.config_dir)
        location = DataLocation(settings.data_dir)
        chosen = provider or make_provider(settings, cache_dir=instrument_cache_dir(location), calendar=calendar)
        return cls(
            settings=settings,
            config_dir=loaded.config_dir,
            calendar=calendar,
            provider=chosen,
            location=location,
            sinks=build_sinks(settings, location),
            publishers=build_publishers(settings),
        )


def instrument_cache_dir(location: DataLocation) -> Path:
    """Instrument dumps are cached on local disk: under the data directory, or ~/.cache/g6 for a remote one."""
    if location.is_local:
        return Path(str(location.root.path)) / "instruments"
    return Path.home() / ".cache" / "g6" / "instruments"


def build_sinks(settings: Settings, location: DataLocation) -> list[Sink]:
    """Parquet always; classic CSV unless switched off; InfluxDB when a URL is configured."""
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
