"""Build the configured provider."""

from __future__ import annotations

from pathlib import Path

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.instruments import InstrumentCache
from g6_pipeline.providers.base import Provider
from g6_pipeline.providers.chain import ChainProvider
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.sources import MockSource, SyntheticSource
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings.model import Settings


def synthetic_market(settings: Settings, calendar: MarketCalendar) -> SyntheticMarket:
    """The simulated market the settings describe (seed and reference levels)."""
    sim = settings.synthetic
    return SyntheticMarket(sim.seed, calendar, sim.reference_levels, sim.reference_date)


def quote_deadline(settings: Settings) -> float | None:
    """Seconds after its minute from which no quote call of the minute starts: one call's time before
    `collection.late_grace_seconds` (quotes received after the grace are not stored for the minute anyway);
    None when the grace is off."""
    grace = settings.collection.late_grace_seconds
    return None if grace is None else max(grace - 1.0 / settings.kite.requests_per_second, 0.0)


def make_provider(settings: Settings, cache_dir: Path, calendar: MarketCalendar) -> Provider:
    """The provider named by `settings.provider`; kite dumps are cached under `cache_dir`."""
    stale_after = settings.alerts.quote_stale_seconds
    if settings.provider == "synthetic":
        return ChainProvider("synthetic", SyntheticSource(synthetic_market(settings, calendar)), stale_after=stale_after)
    if settings.provider == "mock":
        return ChainProvider("mock", MockSource(), stale_after=stale_after)
    if settings.provider == "kite":
        from g6_pipeline.providers.kite import KiteSource  # kiteconnect (and twisted) only when Kite is used

        source = KiteSource(settings.kite, TokenStore(settings.kite.token_file))
        return ChainProvider("kite", source, cache=InstrumentCache(cache_dir), stale_after=stale_after,
                             deadline_seconds=quote_deadline(settings))
    raise ValueError(f"unknown provider {settings.provider!r}")
