"""Every metric G6 exposes: name, type, help, labels and group, in one place.

G6's collection runs are short-lived processes that push to a Prometheus Pushgateway, so each push carries
the complete state of its group: counters and histograms are cumulative across runs (the pusher adds the
values already held by the gateway), gauges describe the latest run. `docs/metrics.md` is generated from this
module (`python -m g6_pipeline.metrics.docs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from g6_pipeline.settings.model import MetricGroup

MetricKind = Literal["counter", "gauge", "histogram"]

JOB_COLLECTION = "g6_collection"
JOB_WEEKDAY_MASTER = "g6_weekday_master"
JOB_ASSET_CHECKS = "g6_asset_checks"
CYCLE_GROUP_INDEX = "all"
"""The `index` grouping label of cycle-wide series (runs, provider, sinks), which belong to no one index."""

LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
DURATION_BUCKETS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 120.0)


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its exposition name, type, help text, label names and the group that switches it."""

    name: str
    kind: MetricKind
    help: str
    labels: tuple[str, ...]
    group: MetricGroup
    job: str = JOB_COLLECTION
    buckets: tuple[float, ...] = ()
    keep_last: bool = False
    """A gauge that keeps its last pushed value when a run does not set it (e.g. last success time)."""


def _c(
    name: str, help_: str, labels: tuple[str, ...], group: MetricGroup, job: str = JOB_COLLECTION
) -> MetricSpec:
    return MetricSpec(name, "counter", help_, labels, group, job)


def _g(
    name: str,
    help_: str,
    labels: tuple[str, ...],
    group: MetricGroup,
    job: str = JOB_COLLECTION,
    keep_last: bool = False,
) -> MetricSpec:
    return MetricSpec(name, "gauge", help_, labels, group, job, keep_last=keep_last)


def _h(
    name: str, help_: str, labels: tuple[str, ...], group: MetricGroup, buckets: tuple[float, ...]
) -> MetricSpec:
    return MetricSpec(name, "histogram", help_, labels, group, buckets=buckets)


IX = ("index",)
IX_TAG = ("index", "expiry_tag")
OPTION = ("index", "expiry_tag", "strike", "side")

CATALOGUE: tuple[MetricSpec, ...] = (
    # core: is collection running, and what did it see
    _c("g6_collection_runs_total", "Collection cycles by result (ok, partial, failed).", ("result",), "core"),
    _h("g6_collection_duration_seconds", "Wall time of a collection cycle.", (), "core", DURATION_BUCKETS),
    _g(
        "g6_collection_last_run_timestamp_seconds",
        "Unix time the latest collection cycle finished.",
        (),
        "core",
    ),
    _c(
        "g6_index_collections_total",
        "Per-index collections by status (ok, partial, failed).",
        ("index", "status"),
        "core",
    ),
    _g(
        "g6_collection_last_success_timestamp_seconds",
        "Unix time of the latest minute collected (ok or partial) for the index.",
        IX,
        "core",
        keep_last=True,
    ),
    _g("g6_legs_expected", "Option legs requested in the latest cycle.", IX, "core"),
    _g("g6_legs_missing", "Option legs requested but not quoted in the latest cycle.", IX, "core"),
    _g("g6_legs_collected", "Option legs quoted in the latest cycle, per expiry.", IX_TAG, "core"),
    _g(
        "g6_expiry_collected",
        "1 when the expiry was collected in the latest cycle, 0 when it was missing.",
        IX_TAG,
        "core",
    ),
    _g("g6_index_price", "Index price at the latest collected minute (index points).", IX, "core"),
    _g(
        "g6_atm_strike",
        "ATM strike of the expiry at the latest collected minute (index points).",
        IX_TAG,
        "core",
    ),
    _c(
        "g6_metrics_series_dropped_total",
        "Per-option series left out because the series budget was reached.",
        (),
        "core",
    ),
    _c(
        "g6_metrics_push_failures_total",
        "Pushes to the Pushgateway that failed, counted by this run's push.",
        (),
        "core",
    ),
    # provider: how the market-data provider fared
    _c(
        "g6_provider_calls_total",
        "Provider calls by endpoint and result ('ok' or the error class).",
        ("endpoint", "result"),
        "provider",
    ),
    _h(
        "g6_provider_latency_seconds",
        "Latency of provider HTTP calls.",
        ("endpoint",),
        "provider",
        LATENCY_BUCKETS,
    ),
    _c(
        "g6_provider_rate_limit_wait_seconds_total",
        "Time spent waiting for the provider rate limiter.",
        (),
        "provider",
    ),
    _c("g6_provider_retries_total", "Provider calls retried.", (), "provider"),
    _g(
        "g6_provider_circuit_state",
        "1 for the provider circuit breaker's current state (closed, open, half_open).",
        ("state",),
        "provider",
    ),
    _g(
        "g6_provider_token_state",
        "1 for the access token's current state (valid, expired, missing, not_required).",
        ("state",),
        "provider",
    ),
    # analytics: what traders watch
    _g(
        "g6_pcr",
        "Put-call ratio of open interest (ΣPE OI ÷ ΣCE OI over collected strikes).",
        IX_TAG,
        "analytics",
    ),
    _g("g6_pcr_volume", "Put-call ratio of traded volume.", IX_TAG, "analytics"),
    _g("g6_atm_iv", "Implied volatility at the ATM strike, a fraction (0.15 = 15 %).", IX_TAG, "analytics"),
    _g("g6_atm_straddle_price", "ATM straddle (CE + PE) price in index points.", IX_TAG, "analytics"),
    _g("g6_max_pain_strike", "Max-pain strike in index points.", IX_TAG, "analytics"),
    _g(
        "g6_risk_reversal_25d",
        "25-delta risk reversal: IV(25Δ call) − IV(25Δ put), a fraction.",
        IX_TAG,
        "analytics",
    ),
    _c(
        "g6_iv_solve_attempts_total",
        "Legs with a quote whose implied volatility was solved for.",
        IX,
        "analytics",
    ),
    _c(
        "g6_iv_solve_failures_total",
        "Legs whose implied volatility could not be solved, by reason.",
        ("index", "reason"),
        "analytics",
    ),
    # storage: what the sinks wrote
    _c("g6_sink_rows_written_total", "Rows written per sink.", ("sink",), "storage"),
    _c("g6_sink_bytes_written_total", "Bytes written per sink.", ("sink",), "storage"),
    _c("g6_sink_write_failures_total", "Sink writes that failed.", ("sink",), "storage"),
    _c(
        "g6_sink_points_dropped_total",
        "Points a sink could not write (and did not spool).",
        ("sink",),
        "storage",
    ),
    _c("g6_sink_write_seconds_total", "Time spent writing per sink.", ("sink",), "storage"),
    # per_option: off by default, ATM ± K strikes under a series budget
    _g("g6_option_price", "Last price of the option near ATM (index points).", OPTION, "per_option"),
    _g("g6_option_iv", "Implied volatility of the option near ATM, a fraction.", OPTION, "per_option"),
    _g("g6_option_oi", "Open interest of the option near ATM (units).", OPTION, "per_option"),
    # the daily jobs of the Dagster layer
    _g(
        "g6_weekday_master_rows",
        "Rows in the weekday master written by the latest run.",
        IX,
        "core",
        JOB_WEEKDAY_MASTER,
    ),
    _g(
        "g6_weekday_master_issues",
        "Quality issues of the latest weekday-master run, by severity.",
        ("index", "severity"),
        "core",
        JOB_WEEKDAY_MASTER,
    ),
    _g(
        "g6_weekday_master_last_run_timestamp_seconds",
        "Unix time of the latest weekday-master run.",
        IX,
        "core",
        JOB_WEEKDAY_MASTER,
    ),
    _c(
        "g6_asset_check_runs_total",
        "Asset-check evaluations by result (passed, failed).",
        ("index", "check", "result"),
        "core",
        JOB_ASSET_CHECKS,
    ),
    _g(
        "g6_asset_check_passed",
        "1 when the latest evaluation of the asset check passed, 0 when it failed.",
        ("index", "check"),
        "core",
        JOB_ASSET_CHECKS,
    ),
    _g(
        "g6_asset_check_last_run_timestamp_seconds",
        "Unix time of the latest evaluation of the asset check.",
        ("index", "check"),
        "core",
        JOB_ASSET_CHECKS,
    ),
)

SPECS: dict[str, MetricSpec] = {spec.name: spec for spec in CATALOGUE}
"""Metric name → its spec."""


def spec(name: str) -> MetricSpec:
    """The spec of a catalogued metric; `KeyError` names the unknown metric."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"metric {name!r} is not in the catalogue") from None
