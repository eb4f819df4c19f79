"""One collection cycle, as four steps: fetch → analytics → write → publish.

`g6 collect --once` runs `run_cycle`; the Dagster job runs the same four steps as four ops. Nothing here
fabricates data: an index that could not be fetched is reported as failed, a leg that was not quoted as
missing, and a sink that could not write as failed, while the others carry on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from g6_pipeline.analytics import enrich, enrich_many
from g6_pipeline.collection.components import Collector
from g6_pipeline.collection.outcome import chain_status, priced_legs
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.core.clock import IST, floor_minute, now_ist
from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.core.snapshot import ChainSnapshot, EnrichedChain
from g6_pipeline.providers import CircuitOpenError, ProviderError, TokenExpiredError

log = logging.getLogger(__name__)


@dataclass
class CycleState:
    """What the steps hand to each other; becomes a `CycleReport` at the end."""

    minute: datetime
    started_at: datetime
    provider: str
    snapshots: dict[str, ChainSnapshot] = field(default_factory=dict)
    chains: dict[str, EnrichedChain] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    sinks: list[SinkOutcome] = field(default_factory=list)
    stats: ProviderStats = field(default_factory=ProviderStats)
    error: str | None = None
    expected_legs: dict[str, int] = field(default_factory=dict)


def fetch_step(collector: Collector, now: datetime | None = None) -> CycleState:
    """Ask the provider for every enabled index's chain at `now` (default: the current minute)."""
    at = (now or now_ist()).astimezone(IST)
    state = CycleState(minute=floor_minute(at), started_at=now_ist(), provider=collector.provider.name)
    indices = collector.settings.enabled_indices
    try:
        result = collector.provider.fetch(indices, at)
    except TokenExpiredError as exc:
        state.error = f"token expired: {exc}"
        state.failures = {name: state.error for name in indices}
    except CircuitOpenError as exc:
        state.error = f"provider unavailable (circuit open): {exc}"
        state.failures = {name: state.error for name in indices}
    except ProviderError as exc:
        state.error = f"provider failed: {exc}"
        state.failures = {name: state.error for name in indices}
    else:
        state.snapshots = dict(result.snapshots)
        state.failures = dict(result.failures)
    state.stats = collector.provider.stats
    for name, snap in state.snapshots.items():
        state.expected_legs[name] = snap.legs_requested
    if state.error:
        log.error("cycle %s: %s", state.minute.strftime("%H:%M"), state.error)
    for name, reason in state.failures.items():
        if not state.error:
            log.warning("cycle %s: %s failed: %s", state.minute.strftime("%H:%M"), name, reason)
    return state


def analytics_step(collector: Collector, state: CycleState, references: ReferenceCache | None = None) -> CycleState:
    """Compute IV, Greeks and chain analytics for every fetched snapshot (all indices in one pass)."""
    refs = references or ReferenceCache(collector.location, collector.calendar)
    rate = collector.settings.analytics.risk_free_rate
    snapshots = list(state.snapshots.values())
    by_index = {s.index: refs.get(s.index, s.timestamp.date()) for s in snapshots}
    try:
        chains = enrich_many(snapshots, rate, by_index)
    except Exception:  # find the index that fails, so the others' data is not lost with it
        log.exception("analytics failed for the minute; retrying index by index")
        chains = []
        for snap in snapshots:
            try:
                chains.append(enrich(snap, rate, by_index[snap.index]))
            except Exception as exc:
                log.exception("analytics failed for %s", snap.index)
                state.failures[snap.index] = f"analytics failed: {type(exc).__name__}: {exc}"
    for chain in chains:
        state.chains[chain.index] = chain
    return state


def write_step(collector: Collector, state: CycleState) -> CycleState:
    """Hand the enriched chains to every sink; one failing sink never stops the others."""
    chains = list(state.chains.values())
    if not chains:
        return state
    for sink in collector.sinks:
        started = time.perf_counter()
        try:
            outcome = sink.write(chains)
        except Exception as exc:  # sinks report failures themselves; this is the last line of defence
            log.exception("sink %s raised", sink.name)
            outcome = SinkOutcome(sink=sink.name, error=f"{type(exc).__name__}: {exc}")
        if outcome.seconds == 0.0:
            outcome = SinkOutcome(
                sink=outcome.sink,
                rows=outcome.rows,
                bytes=outcome.bytes,
                seconds=time.perf_counter() - started,
                error=outcome.error,
                points_dropped=outcome.points_dropped,
            )
        if outcome.error:
            log.error("sink %s failed: %s", outcome.sink, outcome.error)
        state.sinks.append(outcome)
    return state


def build_report(state: CycleState) -> CycleReport:
    """Freeze the state into the report handed to metrics and status."""
    outcomes: dict[str, IndexOutcome] = {}
    for name in [*state.snapshots, *[n for n in state.failures if n not in state.snapshots]]:
        chain = state.chains.get(name)
        snap = state.snapshots.get(name)
        reason = state.failures.get(name)
        if chain is None:
            outcomes[name] = IndexOutcome(
                index=name,
                status="failed",
                error=reason or "not collected",
                legs_expected=state.expected_legs.get(name, 0),
            )
            continue
        assert snap is not None
        collected = len(snap.legs)
        status, why = chain_status(snap.legs_requested, collected, priced_legs(snap.legs))
        outcomes[name] = IndexOutcome(
            index=name,
            status=status,
            chain=chain,
            error=why,
            legs_expected=snap.legs_requested,
            legs_collected=collected,
        )
    return CycleReport(
        minute=state.minute,
        started_at=state.started_at,
        finished_at=now_ist(),
        provider=state.provider,
        indices=outcomes,
        sinks=list(state.sinks),
        provider_stats=state.stats,
        error=state.error,
    )


def publish_step(collector: Collector, report: CycleReport) -> None:
    """Record metrics (and push them when a Pushgateway is configured) and write the live status files."""
    report = replace(report, calendar_covered_until=collector.calendar.covered_until)
    for name, publisher in collector.publishers:
        try:
            publisher(report)
        except Exception:  # status and metrics never fail a cycle whose data is already written
            log.exception("publishing to %s failed", name)


def run_cycle(collector: Collector, now: datetime | None = None) -> CycleReport:
    """Run all four steps for one minute and return the report."""
    state = fetch_step(collector, now)
    state = analytics_step(collector, state)
    state = write_step(collector, state)
    report = build_report(state)
    publish_step(collector, report)
    return report
