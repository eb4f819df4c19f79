"""Cycle reports for the metrics tests, over chains from the shared factory (`fakes/chains.py`) with a small
volatility smile, seeded open interest and unpriced far wings, so every metric group has something to count.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline_tests.fakes import chains
from g6_pipeline_tests.fakes.chains import IST

MINUTE = datetime(2026, 3, 10, 11, 42, tzinfo=IST)


def make_chain(
    index: str = "NIFTY",
    tags: tuple[str, ...] = ("this_week", "next_week"),
    strikes_each_side: int = 5,
    minute: datetime = MINUTE,
    seed: int = 6,
) -> EnrichedChain:
    """One index's enriched chain: every schema column, ATM ± `strikes_each_side` strikes per expiry."""
    return chains.make_chain(
        index, minute, tags=tags, half_width=strikes_each_side, sigma=0.13, smile=0.004, oi_seed=seed,
        unpriced_wings=True, provider="synthetic",
    )


def make_report(
    indices: tuple[str, ...] = ("NIFTY", "BANKNIFTY"),
    minute: datetime = MINUTE,
    failed: tuple[str, ...] = (),
    sink_error: str | None = None,
) -> CycleReport:
    """A cycle over `indices` (those in `failed` failed), with provider calls, latencies and two sinks."""
    outcomes = {}
    for name in indices:
        if name in failed:
            outcomes[name] = IndexOutcome(name, "failed", error="index price not quoted", legs_expected=44)
            continue
        tags = ("this_week", "next_week") if name in ("NIFTY", "SENSEX") else ("this_month",)
        chain = make_chain(name, tags, minute=minute)
        n = len(chain.options)
        outcomes[name] = IndexOutcome(name, "ok", chain=chain, legs_expected=n, legs_collected=n)
    stats = ProviderStats(
        calls=Counter({("quote", "ok"): 6, ("instruments", "ok"): 1, ("quote", "NetworkException"): 1}),
        latencies=[("quote", 0.21), ("quote", 0.34), ("quote", 1.2), ("instruments", 0.8)],
        rate_limit_wait_seconds=2.5,
        retries=1,
        circuit="closed",
        token_state="valid",
    )
    sinks = [
        SinkOutcome("parquet", rows=120, bytes=48_000, seconds=0.12),
        SinkOutcome("csv", rows=60, bytes=21_000, seconds=0.08, error=sink_error),
    ]
    return CycleReport(
        minute=minute, started_at=minute + timedelta(seconds=1), finished_at=minute + timedelta(seconds=6.5),
        provider="kite", indices=outcomes, sinks=sinks, provider_stats=stats,
    )


__all__ = ["IST", "MINUTE", "make_chain", "make_report"]
