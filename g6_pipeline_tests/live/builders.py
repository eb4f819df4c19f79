"""Cycle reports and settings for the live-view tests, over chains from the shared factory
(`fakes/chains.py`), with per-expiry overview figures the tests choose (`tag_values`)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.fakes import chains
from g6_pipeline_tests.fakes.chains import IST, SPOTS

__all__ = ["BASE_MINUTE", "IST", "SPOTS", "make_chain", "make_report", "make_settings", "ok_outcome", "tag_values"]

BASE_MINUTE = datetime(2025, 3, 4, 10, 15, tzinfo=IST)


def tag_values(
    pcr: float = 0.95, straddle: float = 210.5, atm_iv: float = 0.142, max_pain: float = 22500.0,
    atm: float = 22450.0, iv_rank: float = math.nan, iv_history: int = 0, iv_history_source: str = "",
    gex: float = math.nan,
) -> dict[str, Any]:
    """Per-tag overview values for one expiry (no IV rank and no exposure unless given)."""
    return {
        "atm": atm, "forward": atm + 3.0, "pcr": pcr, "pcr_volume": 0.8,
        "max_pain": max_pain, "straddle": straddle, "straddle_day_change": -4.5, "straddle_net_change": math.nan,
        "atm_iv": atm_iv, "rr25": -0.01, "bf25": 0.004, "ce_oi": 1.0e6, "pe_oi": 1.0e6 * pcr,
        "iv_rank": iv_rank, "iv_percentile": iv_rank + 10.0, "iv_history": iv_history,
        "iv_history_source": iv_history_source, "gex": gex, "dex": 10 * gex,
    }


def make_chain(
    index: str, minute: datetime, spot: float | None = None, tags: dict[str, dict[str, Any]] | None = None,
) -> EnrichedChain:
    """The ATM strike of `index` (CE and PE) with an overview holding `tags` (default: the near expiry only)."""
    price = spot if spot is not None else SPOTS[index]
    strike = round(price, -2)
    near = "this_week" if index in ("NIFTY", "SENSEX") else "this_month"
    tags = tags if tags is not None else {near: tag_values(atm=strike, max_pain=strike + 100)}
    chain = chains.make_chain(index, minute, spot=price, tags=tuple(tags), half_width=0, provider="synthetic",
                              fetch_seconds=4)
    overview: dict[str, Any] = dict.fromkeys(chain.overview, math.nan)
    overview.update(timestamp=minute, index=index, index_price=price, index_day_change=12.5,
                    index_net_change=-30.25, day_high=price + 40, day_low=price - 60, day_width=100.0)
    for tag, values in tags.items():
        overview.update({f"{key}_{tag}": value for key, value in values.items()})
        overview[f"expiry_{tag}"] = chain.overview[f"expiry_{tag}"]
    return EnrichedChain(snapshot=chain.snapshot, options=chain.options, overview=overview)


def ok_outcome(index: str, minute: datetime, **chain_kwargs: Any) -> IndexOutcome:
    """A fully collected index."""
    return IndexOutcome(index, "ok", make_chain(index, minute, **chain_kwargs), legs_expected=42, legs_collected=42)


def make_report(
    minute: datetime = BASE_MINUTE,
    outcomes: dict[str, IndexOutcome] | None = None,
    sinks: list[SinkOutcome] | None = None,
    stats: ProviderStats | None = None,
    error: str | None = None,
) -> CycleReport:
    """A cycle report; by default every index of the default settings collected in full."""
    if outcomes is None:
        outcomes = {name: ok_outcome(name, minute) for name in SPOTS}
    if stats is None:
        stats = ProviderStats(calls=Counter({("quote", "ok"): 8}), latencies=[("quote", 0.12)] * 8)
    return CycleReport(
        minute=minute,
        started_at=minute + timedelta(seconds=1),
        finished_at=minute + timedelta(seconds=6.5),
        provider="synthetic",
        indices=outcomes,
        sinks=sinks if sinks is not None else [SinkOutcome("parquet", rows=168, bytes=40960, seconds=0.2)],
        provider_stats=stats,
        error=error,
    )


def make_settings(data_dir: str, live: dict[str, Any] | None = None, **alerts: Any) -> Settings:
    """Default settings writing to `data_dir`, with optional `live` and `alerts` section values."""
    return Settings.model_validate({"data_dir": data_dir, "live": live or {}, "alerts": alerts})
