"""The one resource every G6 definition uses: the validated settings and the parts built from them."""


from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from g6_pipeline.collection.components import Collector
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.settings import LoadedSettings, load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.logs import configure_logging


class G6Resource(dg.ConfigurableResource):
    """G6's configuration (from `config_dir`, else `G6_CONFIG_DIR`, else ./config) and its collector."""

    config_dir: str = ""

    _loaded: LoadedSettings | None = PrivateAttr(default=None)
    _collector: Collector | None = PrivateAttr(default=None)

    def loaded(self) -> LoadedSettings:
        """The validated settings (loaded once per process)."""
        if self._loaded is None:
            self._loaded = load_settings(Path(self.config_dir) if self.config_dir else None)
            configure_logging(self._loaded.settings.log_level, self._loaded.settings.secret_values())
        return self._loaded

    def calendar(self) -> MarketCalendar:
        """The market calendar from the configuration folder."""
        return MarketCalendar.load(self.loaded().config_dir)

    def location(self) -> DataLocation:
        """Where all runtime output lives."""
        return DataLocation(self.loaded().settings.data_dir)

    def collector(self) -> Collector:
        """Provider, sinks and publishers (built once per process)."""
        if self._collector is None:
            self._collector = Collector.from_settings(self.loaded())
        return self._collector
