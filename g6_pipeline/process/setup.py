"""The parts one process is built from, assembled once from the settings and handed down.

`ProcessSetup` is what every G6 process needs (settings, market calendar, data location, sinks): the Dagster
resource, a CLI command and a backfill worker each build it once and pass it to everything they call. The minute
cycle (`collection`) and the after-the-close work (`history`) both take it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.settings import LoadedSettings, Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.opening import open_location
from g6_pipeline.storage.sink import Sink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessSetup:
    """The validated settings, the market calendar and the data location of one process; its sinks on first use."""

    loaded: LoadedSettings
    calendar: MarketCalendar
    location: DataLocation

    @classmethod
    def load(cls, loaded: LoadedSettings) -> ProcessSetup:
        """Read the market calendar of the configuration folder and open the data location (bringing its layout
        up to date once); log the configuration's warnings (unknown `G6_*` variables) once for the process."""
        for warning in loaded.warnings:
            log.warning("%s", warning)
        return cls(loaded, MarketCalendar.load(loaded.config_dir), open_location(loaded.settings.data_dir))

    @property
    def settings(self) -> Settings:
        """The validated settings."""
        return self.loaded.settings

    @cached_property
    def sinks(self) -> list[Sink]:
        """The configured sinks, built on first use."""
        return build_sinks(self.settings, self.location)


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

        influx = InfluxSink.from_settings(settings, location)
        if influx is not None:
            sinks.append(influx)
    return sinks
