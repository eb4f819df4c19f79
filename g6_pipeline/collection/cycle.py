"""One collection cycle, as four steps: fetch → analytics → write → publish.

`g6 collect --once` runs `run_cycle`; the Dagster job runs the same four steps as four ops. Nothing here
fabricates data: an index that could not be fetched is reported as failed, a leg that was not quoted as
missing, and a sink that could not write as failed, while the others carry on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from upath import UPath

from g6_pipeline.analytics import enrich, enrich_many
from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.outcome import chain_status, priced_legs
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.collection.timing import WAIT_HORIZON_SECONDS, wait_until
from g6_pipeline.core.clock import IST, floor_minute, now_ist
from g6_pipeline.core.freshness import stale_reason
from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.core.snapshot import ChainSnapshot, EnrichedChain, SessionReference
from g6_pipeline.providers import CircuitOpenError, ProviderError, TokenExpiredError
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.minute import MinuteStore, commit_minute, prepared_minute
from g6_pipeline.storage.sink import Sink
from g6_pipeline.storage.writer import partition_locks
from g6_pipeline.util.lock import LockTimeoutError

log = logging.getLogger(__name__)
UNREADABLE_RETRY = timedelta(minutes=15)
"""How long a day reference that could not be read is not tried again (per index and day)."""


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
    closed: dict[str, str] = field(default_factory=dict)
    """Indices the exchange's clock found closed (nothing fetched is stored), with the reason."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Underlyings the minute's quote time ran out before (the lowest in priority), with the reason."""
    waited_seconds: float = 0.0
    """How long the fetch waited for its minute's first instant (a run launched ahead of its minute)."""
    write_wait_seconds: float = 0.0
    """How long the write waited for the writer locks of the minute's partitions."""


def fetch_step(collector: Collector, now: datetime | None = None) -> CycleState:
    """Ask the provider for every enabled index's chain at the instant `now` (default: this instant), for the
    minute it falls in.

    A run launched ahead of its minute passes the minute's first instant: the provider prepares what it can
    (instrument dumps, universes), then the step waits for that instant and requests the quotes then. An
    early run never fetches quotes from before its minute: the clock is read again after the wait, and a
    fetch it finds before the minute is refused. A run that would fetch the minute's quotes later than
    `collection.late_grace_seconds` after the minute (a re-executed old run, a run that waited in a queue, a
    run that could not start in time) fetches nothing: the minute stays as it is stored (or a gap), and the
    state says why. With the grace off (null: replaying minutes of the simulated market) neither check applies,
    and an instant more than `WAIT_HORIZON_SECONDS` ahead is fetched at once.
    """
    at = (now or now_ist()).astimezone(IST)
    minute = floor_minute(at)
    indices = collector.settings.enabled_indices
    waited = 0.0
    if 0 < (at - now_ist()).total_seconds() <= WAIT_HORIZON_SECONDS:
        _prepare(collector, at)
        waited = wait_until(at)
    state = CycleState(minute=minute, started_at=now_ist(), provider=collector.provider.name, waited_seconds=waited)
    grace = collector.settings.collection.late_grace_seconds
    refused = None
    if grace is not None:
        refused = _early(minute, state.started_at) or _lateness(minute, state.started_at, grace)
    if refused:
        state.error = refused
        state.failures = {name: refused for name in indices}
        log.error("cycle %s: %s", minute.strftime("%H:%M"), refused)
        return state
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
        state.closed = dict(result.closed)
        state.skipped = dict(result.skipped)
        if state.closed:
            log.info("cycle %s: %s", minute.strftime("%H:%M"), next(iter(state.closed.values())))
    state.stats = collector.provider.stats
    if grace is not None:
        _drop_late(state, grace)
    for name, snap in state.snapshots.items():
        state.expected_legs[name] = snap.legs_requested
    if state.error:
        log.error("cycle %s: %s", minute.strftime("%H:%M"), state.error)
    for name, reason in state.failures.items():
        if not state.error:
            log.warning("cycle %s: %s failed: %s", minute.strftime("%H:%M"), name, reason)
    return state


def _prepare(collector: Collector, at: datetime) -> None:
    """Let the provider get ready for the fetch at `at` before it is due (nothing is quoted)."""
    prepare = getattr(collector.provider, "prepare", None)
    if prepare is None:
        return
    try:
        prepare(collector.settings.enabled_indices, at)
    except Exception as exc:  # the fetch itself meets and reports whatever went wrong here
        log.debug("preparing the fetch of %s failed: %s", at.strftime("%H:%M"), exc)


def _early(minute: datetime, fetched_at: datetime) -> str | None:
    """Why quotes fetched at `fetched_at` may not be stored as `minute`: they come from before it; else None."""
    if fetched_at >= minute:
        return None
    return (
        f"minute {minute.strftime('%Y-%m-%d %H:%M')} not written: its quotes would be fetched at "
        f"{fetched_at.astimezone(IST).strftime('%H:%M:%S.%f')[:-3]}, before the minute began"
    )


def _lateness(minute: datetime, fetched_at: datetime, grace: float) -> str | None:
    """Why quotes fetched at `fetched_at` may not be stored as `minute`, or None when they are in time."""
    delay = (fetched_at - minute).total_seconds()
    if delay <= grace:
        return None
    return (
        f"minute {minute.strftime('%Y-%m-%d %H:%M')} not written: its quotes would be fetched at "
        f"{fetched_at.astimezone(IST).strftime('%H:%M:%S')}, {delay:.0f} s after the minute (grace {grace:g} s); "
        "a re-executed or queued run leaves the minute as it is stored"
    )


def _drop_late(state: CycleState, grace: float) -> None:
    """Drop the snapshots whose quotes arrived too late for their minute (a slow fetch), with the reason."""
    late = ""
    for name, snap in list(state.snapshots.items()):
        reason = _lateness(state.minute, snap.fetched_at, grace)
        if reason:
            late = reason
            del state.snapshots[name]
            state.failures[name] = reason
    if late and not state.snapshots:
        state.error = late


def analytics_step(collector: Collector, state: CycleState, references: ReferenceCache | None = None) -> CycleState:
    """Compute IV, Greeks and chain analytics for every fetched snapshot (all indices in one pass)."""
    refs = references or ReferenceCache(collector.location, collector.calendar)
    rate = collector.settings.analytics.risk_free_rate
    min_sessions = collector.settings.analytics.iv_rank_min_sessions
    snapshots = list(state.snapshots.values())
    by_index = {s.index: day_reference(refs, s.index, s.timestamp.date(), s.expiries) for s in snapshots}
    try:
        chains = enrich_many(snapshots, rate, by_index, min_sessions)
    except Exception:  # find the index that fails, so the others' data is not lost with it
        log.exception("analytics failed for the minute; retrying index by index")
        chains = []
        for snap in snapshots:
            try:
                chains.append(enrich(snap, rate, by_index[snap.index], min_sessions))
            except Exception as exc:
                log.exception("analytics failed for %s", snap.index)
                state.failures[snap.index] = f"analytics failed: {type(exc).__name__}: {exc}"
    for chain in chains:
        state.chains[chain.index] = chain
    return state


def day_reference(
    refs: ReferenceCache, index: str, day: date, expiries: Mapping[str, date] | None = None
) -> SessionReference:
    """`refs.get`, or an empty reference (no changes) when the stored data it needs cannot be read.

    The failure is noted beside the reference cache, so the next minutes (new processes) do not read the
    broken file again for `UNREADABLE_RETRY`; the warning names the file.
    """
    location = refs.location
    marker = location.reference_failure_file(index, day)
    noted = _noted_failure(location, marker)
    if noted is not None:
        log.debug("%s %s: day reference skipped: %s", index, day, noted)
        return SessionReference()
    try:
        return refs.get(index, day, expiries)
    except Exception as exc:  # a corrupt or unreadable stored file must not stop this index, or the others
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("%s %s: day reference unreadable, changes left empty: %s", index, day, reason)
        retry = (now_ist() + UNREADABLE_RETRY).isoformat()
        try:
            location.write_atomic(marker, json.dumps({"error": reason, "retry_after": retry}).encode(), durable=False)
        except OSError as write_error:
            log.warning("could not note the unreadable reference at %s: %s", marker, write_error)
        return SessionReference()


def _noted_failure(location: DataLocation, marker: UPath) -> str | None:
    """The noted reason while a noted reference failure is recent, else None."""
    try:
        noted = json.loads(location.read_bytes(marker))
        if datetime.fromisoformat(noted["retry_after"]) > now_ist():
            return str(noted["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def write_step(collector: Collector, state: CycleState) -> CycleState:
    """Commit each index's minute to the stores of the minute, then hand the committed chains to the outbox
    sinks, holding the writer locks of the minute's (day, index) partitions.

    An index's minute is whole or absent (`storage.minute`): its Parquet slices and classic CSV lines are all
    written, or, when any of them fails, none is kept and the index is failed with the one-line reason, while the
    other indices are committed. The Influx spool, an at-least-once outbox, gets only committed minutes. Two
    writers of one minute (a `g6 collect --once` beside the scheduled run) take turns; writers of other days
    never hold these locks. One that cannot get the locks in `collection.writer_lock_seconds` (or cannot create
    them: a read-only data directory) writes nothing: every sink reports why and every index of the minute is
    failed with that reason, so the minute stays a gap.
    """
    chains = list(state.chains.values())
    if not chains:
        return state
    partitions = [(c.timestamp.astimezone(IST).date(), c.index) for c in chains]
    patience = collector.settings.collection.writer_lock_seconds
    try:
        with partition_locks(collector.location, partitions, patience) as wait:
            state.write_wait_seconds = wait.seconds
            _write_sinks(collector, state, chains)
    except (LockTimeoutError, OSError) as exc:
        where = f" (writer lock {exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        reason = f"not written{where}: {detail}"
        log.error("cycle %s: nothing written: %s", state.minute.strftime("%H:%M"), reason)
        state.sinks.extend(SinkOutcome(sink=s.name, error=reason) for s in collector.sinks)
        for chain in chains:
            state.failures[chain.index] = reason
            state.chains.pop(chain.index, None)
    return state


def _write_sinks(collector: Collector, state: CycleState, chains: list[EnrichedChain]) -> None:
    """Commit every index's minute to the stores of the minute, then write the committed ones to the outbox."""
    stores = [s for s in collector.sinks if isinstance(s, MinuteStore)]
    totals: dict[str, list[float]] = {s.name: [0, 0, 0.0] for s in stores}
    failed: dict[str, dict[str, str]] = {s.name: {} for s in stores}
    """By store: the indices whose minute it failed, with the reason."""
    committed = []
    with prepared_minute(stores, chains):
        for chain in chains:
            done = commit_minute(collector.location, stores, chain)
            if done.error:
                log.error("cycle %s: %s failed: %s", state.minute.strftime("%H:%M"), chain.index, done.error)
                failed.setdefault(done.store, {})[chain.index] = done.error
                state.failures[chain.index] = done.error
                del state.chains[chain.index]
                continue
            committed.append(chain)
            for name, (rows, size, seconds) in done.written.items():
                totals[name][0] += rows
                totals[name][1] += size
                totals[name][2] += seconds
    for name, (total_rows, total_bytes, total_seconds) in totals.items():
        error = "; ".join(f"{index}: {why}" for index, why in failed[name].items()) or None
        state.sinks.append(SinkOutcome(sink=name, rows=int(total_rows), bytes=int(total_bytes), seconds=total_seconds,
                                       error=error, failed_indices=tuple(failed[name])))
    for sink in collector.sinks:
        if not isinstance(sink, MinuteStore) and committed:
            state.sinks.append(_write_outbox(sink, committed))


def _write_outbox(sink: Sink, chains: list[EnrichedChain]) -> SinkOutcome:
    """Hand the committed chains to a sink outside the minute's commit (the Influx spool)."""
    started = time.perf_counter()
    try:
        outcome = sink.write(chains)
    except Exception as exc:  # sinks report failures themselves; this is the last line of defence
        log.exception("sink %s raised", sink.name)
        outcome = SinkOutcome(sink=sink.name, error=f"{type(exc).__name__}: {exc}")
    if outcome.seconds == 0.0:
        outcome = replace(outcome, seconds=time.perf_counter() - started)
    if outcome.error:
        log.error("sink %s failed: %s", outcome.sink, outcome.error)
    return outcome


def build_report(state: CycleState) -> CycleReport:
    """Freeze the state into the report handed to metrics and status."""
    outcomes: dict[str, IndexOutcome] = {n: IndexOutcome(index=n, status="closed", error=why)
                                         for n, why in state.closed.items()}
    outcomes.update({n: IndexOutcome(index=n, status="skipped", error=why) for n, why in state.skipped.items()})
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
        if snap.stale and status != "failed":
            status, why = "stale", stale_reason(snap.quote_age_seconds, snap.exchange_timestamp, snap.legs_stale, collected)
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
    calendar = collector.calendar
    report = replace(report, calendar_covered_until=calendar.covered_until,
                     provisional_note=calendar.provisional_note(report.minute.date()))
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
