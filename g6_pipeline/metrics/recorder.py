"""Turn a `CycleReport` into metric values: one push group for the cycle, one per index.

Only what the report says is recorded: a value the report does not carry (NaN, None, an index that failed)
leaves its series absent, never zero. Per-option series cover ATM ± K strikes of every expiry, nearest first,
and stop at the series budget; what does not fit is counted in `g6_metrics_series_dropped_total`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from g6_pipeline.core.freshness import as_stale_flags
from g6_pipeline.core.report import (
    CIRCUIT_STATES,
    INDEX_STATUSES,
    TOKEN_STATES,
    CycleReport,
    IndexOutcome,
    ProviderStats,
    SinkOutcome,
)
from g6_pipeline.core.schema import EXPIRY_TAGS, IV_STATUSES, MINUTE_KINDS, PCR_SCOPES, TAG_BITS
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.metrics.catalogue import (
    CYCLE_GROUP_INDEX,
    JOB_ASSET_CHECKS,
    JOB_COLLECTION,
    JOB_DAY_MINUTES,
    JOB_WEEKDAY_MASTER,
)
from g6_pipeline.metrics.values import MetricValues, PushGroup
from g6_pipeline.settings.model import Settings
from g6_pipeline.util.numeric import finite_float

ANALYTICS_FIELDS = (
    ("pcr", "g6_pcr"),
    ("pcr_volume", "g6_pcr_volume"),
    ("atm_iv", "g6_atm_iv"),
    ("straddle", "g6_atm_straddle_price"),
    ("max_pain", "g6_max_pain_strike"),
    ("rr25", "g6_risk_reversal_25d"),
    ("chain_pcr", "g6_chain_pcr"),
    ("chain_pcr_volume", "g6_chain_pcr_volume"),
    ("chain_max_pain", "g6_chain_max_pain_strike"),
    ("iv_rank", "g6_iv_rank"),
    ("iv_percentile", "g6_iv_percentile"),
    ("gex", "g6_gamma_exposure_rupees"),
    ("dex", "g6_delta_exposure_rupees"),
)
"""Overview field (before `_<tag>`) → metric."""
OPTION_FIELDS = (("last_price", "g6_option_price"), ("iv", "g6_option_iv"), ("oi", "g6_option_oi"))


class SeriesBudget:
    """A hard cap on per-option series for one cycle; what does not fit is counted, not written."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.dropped = 0

    def take(self) -> bool:
        """Claim one series; False (and counted as dropped) once the budget is spent."""
        if self.used < self.limit:
            self.used += 1
            return True
        self.dropped += 1
        return False


def record_cycle(report: CycleReport, settings: Settings) -> list[PushGroup]:
    """The metric values of one cycle: one group per index, then the cycle-wide group (`index="all"`)."""
    metrics = settings.metrics
    groups = metrics.groups
    cycle = MetricValues(groups)
    result = _cycle_result(report)
    for each in INDEX_STATUSES:  # every result present, so that ratios of increases exist
        cycle.inc("g6_collection_runs_total", float(each == result), result=each)
    cycle.observe("g6_collection_duration_seconds", report.duration_seconds)
    cycle.set("g6_collection_last_run_timestamp_seconds", report.finished_at.timestamp())
    if report.calendar_covered_until is not None:
        cycle.set("g6_calendar_days_left", (report.calendar_covered_until - report.minute.date()).days)
    cycle.set("g6_exchange_closed", float(report.exchange_closed is not None))
    cycle.set("g6_underlyings_skipped", float(sum(o.status == "skipped" for o in report.indices.values())))
    _record_provider(cycle, report.provider_stats)
    for sink in report.sinks:
        _record_sink(cycle, sink)

    budget = SeriesBudget(metrics.series_budget)
    out: list[PushGroup] = []
    for name, outcome in report.indices.items():
        values = MetricValues(groups)
        _record_index(values, name, outcome)
        if outcome.chain is not None:
            _record_chain(values, name, outcome.chain)
            if values.enabled("g6_option_price") and _kind(settings, name) == "index":
                _record_options(values, name, outcome.chain, metrics.per_option_strikes, budget)
        out.append(PushGroup(JOB_COLLECTION, (("index", name),), values))
    cycle.inc("g6_metrics_series_dropped_total", budget.dropped)
    out.append(PushGroup(JOB_COLLECTION, (("index", CYCLE_GROUP_INDEX),), cycle))
    return out


def _kind(settings: Settings, name: str) -> str:
    """An underlying's kind: per-option series (a label per strike) are recorded for indices only, so two hundred
    stocks add no strike-labelled series."""
    configured = settings.indices.get(name)
    return configured.kind if configured is not None else "index"


def _cycle_result(report: CycleReport) -> str:
    if report.ok:
        return "ok"
    if report.exchange_closed is not None and all(o.status == "closed" for o in report.indices.values()):
        return "closed"
    if report.error is None and report.success_rate > 0:
        return "degraded"
    return "failed"


def _record_provider(values: MetricValues, stats: ProviderStats) -> None:
    for (endpoint, result), count in sorted(stats.calls.items()):
        values.inc("g6_provider_calls_total", count, endpoint=endpoint, result=result)
    for endpoint, seconds in stats.latencies:
        values.observe("g6_provider_latency_seconds", seconds, endpoint=endpoint)
    values.inc("g6_provider_rate_limit_wait_seconds_total", stats.rate_limit_wait_seconds)
    values.inc("g6_provider_retries_total", stats.retries)
    values.set("g6_quote_calls", stats.quote_calls)
    for circuit in CIRCUIT_STATES:
        values.set("g6_provider_circuit_state", float(stats.circuit == circuit), state=circuit)
    for token in TOKEN_STATES:
        values.set("g6_provider_token_state", float(stats.token_state == token), state=token)


def _record_sink(values: MetricValues, sink: SinkOutcome) -> None:
    values.inc("g6_sink_rows_written_total", sink.rows, sink=sink.sink)
    values.inc("g6_sink_bytes_written_total", sink.bytes, sink=sink.sink)
    values.inc("g6_sink_write_failures_total", float(sink.error is not None), sink=sink.sink)
    values.inc("g6_sink_points_dropped_total", sink.points_dropped, sink=sink.sink)
    values.inc("g6_sink_write_seconds_total", sink.seconds, sink=sink.sink)


def _record_index(values: MetricValues, name: str, outcome: IndexOutcome) -> None:
    for status in INDEX_STATUSES:
        values.inc("g6_index_collections_total", float(status == outcome.status), index=name, status=status)
    if outcome.status in ("ok", "degraded") and outcome.chain is not None:
        values.set(
            "g6_collection_last_success_timestamp_seconds", outcome.chain.timestamp.timestamp(), index=name
        )
    if outcome.legs_expected > 0:
        values.set("g6_legs_expected", outcome.legs_expected, index=name)
        values.set("g6_legs_missing", outcome.legs_missing, index=name)


def _record_chain(values: MetricValues, name: str, chain: EnrichedChain) -> None:
    ov = chain.overview
    options = chain.options
    values.set("g6_index_price", finite_float(ov.get("index_price")), index=name)
    values.set("g6_quote_age_seconds", finite_float(ov.get("quote_age_seconds")), index=name)
    values.set("g6_legs_stale", float(ov.get("legs_stale") or 0), index=name)
    expected = _bits(ov.get("expected_mask"))
    collected = _bits(ov.get("collected_mask"))
    legs_by_tag = options.groupby("expiry_tag").size() if len(options) else pd.Series(dtype="int64")
    for tag in EXPIRY_TAGS:
        bit = TAG_BITS[tag]
        if expected & bit:
            values.set("g6_expiry_collected", float(bool(collected & bit)), index=name, expiry_tag=tag)
            values.set("g6_legs_collected", float(legs_by_tag.get(tag, 0)), index=name, expiry_tag=tag)
        values.set("g6_atm_strike", finite_float(ov.get(f"atm_{tag}")), index=name, expiry_tag=tag)
        for field, metric in ANALYTICS_FIELDS:
            values.set(metric, finite_float(ov.get(f"{field}_{tag}")), index=name, expiry_tag=tag)
        scope = ov.get(f"pcr_scope_{tag}")
        if scope in PCR_SCOPES:
            values.set("g6_pcr_full_chain", float(scope == "full"), index=name, expiry_tag=tag)
    if values.enabled("g6_iv_solve_failures_total"):
        values.inc("g6_iv_solve_attempts_total", len(options), index=name)
        reasons = options["iv_status"].value_counts() if len(options) else pd.Series(dtype="int64")
        for reason in IV_STATUSES:
            if reason != "ok":
                values.inc(
                    "g6_iv_solve_failures_total", float(reasons.get(reason, 0)), index=name, reason=reason
                )


def _record_options(
    values: MetricValues, name: str, chain: EnrichedChain, k: int, budget: SeriesBudget
) -> None:
    options = chain.options
    for tag, legs in options.groupby("expiry_tag", sort=False):
        atm = finite_float(chain.overview.get(f"atm_{tag}"))
        if not math.isfinite(atm):
            continue
        strikes = sorted(set(legs["strike"].dropna()))
        if not strikes:
            continue
        centre = min(range(len(strikes)), key=lambda i: abs(strikes[i] - atm))
        window = strikes[max(centre - k, 0) : centre + k + 1]
        near = legs[legs["strike"].isin(window)]
        if "stale" in near.columns:  # a stale leg's price is not this minute's: no series for it
            near = near[~as_stale_flags(near["stale"]).to_numpy(dtype=bool, na_value=False)]
        near = near.assign(_distance=(near["strike"] - atm).abs()).sort_values(
            ["_distance", "strike", "side"]
        )
        for row in near.itertuples(index=False):
            for column, metric in OPTION_FIELDS:
                value = finite_float(getattr(row, column))
                if math.isfinite(value) and budget.take():
                    labels = {
                        "index": name,
                        "expiry_tag": str(tag),
                        "strike": _strike(finite_float(row.strike)),
                        "side": str(row.side),
                    }
                    values.set(metric, value, **labels)


def _strike(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else repr(float(strike))


def _bits(value: Any) -> int:
    """A bit mask from the overview (0 when absent)."""
    mask = finite_float(value)
    return int(mask) if math.isfinite(mask) else 0


def record_weekday_master(
    index: str, rows: int, issues_by_severity: Mapping[str, int], finished_at: datetime, settings: Settings
) -> PushGroup:
    """The values of one weekday-master run of one index (severities critical and warning always present)."""
    values = MetricValues(settings.metrics.groups)
    values.set("g6_weekday_master_rows", rows, index=index)
    for severity, count in {"critical": 0, "warning": 0, **issues_by_severity}.items():
        values.set("g6_weekday_master_issues", count, index=index, severity=severity)
    values.set("g6_weekday_master_last_run_timestamp_seconds", finished_at.timestamp(), index=index)
    return PushGroup(JOB_WEEKDAY_MASTER, (("index", index),), values)


def record_asset_check(
    check: str, index: str, passed: bool, finished_at: datetime, settings: Settings
) -> PushGroup:
    """The values of one asset-check evaluation (grouped by index and check)."""
    values = MetricValues(settings.metrics.groups)
    result = "passed" if passed else "failed"
    for outcome in ("passed", "failed"):
        values.inc(
            "g6_asset_check_runs_total", float(outcome == result), index=index, check=check, result=outcome
        )
    values.set("g6_asset_check_passed", float(passed), index=index, check=check)
    values.set("g6_asset_check_last_run_timestamp_seconds", finished_at.timestamp(), index=index, check=check)
    return PushGroup(JOB_ASSET_CHECKS, (("index", index), ("check", check)), values)


def record_day_minutes(index: str, day_open: datetime, minutes: Mapping[str, int], settings: Settings) -> PushGroup:
    """The minutes of one sealed day of one index by kind (`schema.MINUTE_KINDS`; a kind not given is 0)."""
    values = MetricValues(settings.metrics.groups)
    for kind in MINUTE_KINDS:
        values.set("g6_day_minute_slots", minutes.get(kind, 0), index=index, kind=kind)
    values.set("g6_day_minute_slots_day_timestamp_seconds", day_open.timestamp(), index=index)
    return PushGroup(JOB_DAY_MINUTES, (("index", index),), values)
