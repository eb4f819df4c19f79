"""The one resource every G6 definition uses: the validated settings and the parts built from them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import PrivateAttr

from g6_pipeline.settings import LoadedSettings, load_settings
from g6_pipeline.settings.loader import config_dir_from_env
from g6_pipeline.util.logs import configure_logging

if TYPE_CHECKING:  # the setup and the collector are imported when first built: loading the definitions stays light
    from g6_pipeline.collection.collector import Collector
    from g6_pipeline.core.calendar import MarketCalendar
    from g6_pipeline.process.setup import ProcessSetup
    from g6_pipeline.storage.location import DataLocation


def process_setup(config_dir: str = "") -> ProcessSetup:
    """The setup of a configuration folder (`config_dir`, else `G6_CONFIG_DIR`, else ./config), built once per process.

    Dagster makes a new resource instance for every run and every sensor or schedule evaluation, so the
    setup is cached here, by folder, rather than on the instance: the settings are validated and the
    holiday file is read once per process, not on every tick.
    """
    folder = Path(config_dir) if config_dir else config_dir_from_env()
    return _setup_of(str(folder.absolute()))


@cache
def _setup_of(config_dir: str) -> ProcessSetup:
    from g6_pipeline.process.setup import ProcessSetup

    return ProcessSetup.load(load_settings(Path(config_dir)))


CYCLE_STATE_IO = "cycle_state_io_manager"
"""The collection ops hand the cycle state to each other in memory (a run is one process), never pickled."""


def shared_resources(g6: G6Resource | None = None) -> dict[str, Any]:
    """The resources every definition is bound with: `g6` (the given one, else the default) and the in-memory
    hand-over of the collection ops."""
    return {"g6": g6 if g6 is not None else G6Resource(), CYCLE_STATE_IO: dg.mem_io_manager}


class G6Resource(dg.ConfigurableResource):
    """G6's configuration (from `config_dir`, else `G6_CONFIG_DIR`, else ./config) and its collector."""

    config_dir: str = ""

    _setup: Any = PrivateAttr(default=None)  # ProcessSetup | None
    _collector: Any = PrivateAttr(default=None)  # Collector | None

    def setup(self) -> ProcessSetup:
        """Settings, market calendar, data location and sinks of this process; logging configured from them."""
        if self._setup is None:
            self._setup = process_setup(self.config_dir)
            settings = self._setup.settings
            configure_logging(settings.log_level, settings.secret_values())
        setup: ProcessSetup = self._setup
        return setup

    def loaded(self) -> LoadedSettings:
        """The validated settings."""
        return self.setup().loaded

    def calendar(self) -> MarketCalendar:
        """The market calendar from the configuration folder."""
        return self.setup().calendar

    def location(self) -> DataLocation:
        """Where all runtime output lives."""
        return self.setup().location

    def collector(self) -> Collector:
        """The process's setup with the provider and publishers of a collection run."""
        from g6_pipeline.collection.collector import Collector

        if self._collector is None:
            self._collector = Collector.from_setup(self.setup())
        collector: Collector = self._collector
        return collector
