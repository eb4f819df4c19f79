"""Every metric G6 exposes: name, type, help, labels and group, in one place.

G6's collection runs are short-lived processes that push to a Prometheus Pushgateway, so each push carries
the complete state of its group: counters and histograms are cumulative across runs (the pusher adds the
values already held by the gateway), gauges describe the latest run. `docs/metrics.md` is generated from this
module (`python -m g6_pipeline.metrics.docs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from g6_pipeline.settings.model import MetricGroup

MetricKind = Literal["counter", "gauge", "histogram"]

JOB_COLLECTION = "g6_collection"
JOB_WEEKDAY_MASTER = "g6_weekday_master"
JOB_ASSET_CHECKS = "g6_asset_checks"
JOB_DAY_MINUTES = "g6_sealed_days"
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


class _Row(NamedTuple):
    """One catalogue line before its section gives it a group and a job."""

    kind: MetricKind
    name: str
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()
    keep_last: bool = False


def _c(name: str, labels: tuple[str, ...], help_: str) -> _Row:
    return _Row("counter", name, labels, help_)


def _g(name: str, labels: tuple[str, ...], help_: str, keep_last: bool = False) -> _Row:
    return _Row("gauge", name, labels, help_, keep_last=keep_last)


def _h(name: str, labels: tuple[str, ...], help_: str, buckets: tuple[float, ...]) -> _Row:
    return _Row("histogram", name, labels, help_, buckets)


def _section(group: MetricGroup, *rows: _Row, job: str = JOB_COLLECTION) -> tuple[MetricSpec, ...]:
    """The specs of `rows`, all in `group` and pushed under `job`."""
    return tuple(MetricSpec(r.name, r.kind, r.help, r.labels, group, job, r.buckets, r.keep_last) for r in rows)


IX = ("index",)
IX_TAG = ("index", "expiry_tag")
OPTION = ("index", "expiry_tag", "strike", "side")
CHECK = ("index", "check")

CATALOGUE: tuple[MetricSpec, ...] = (
    # core: is collection running, and what did it see
    *_section(
        "core",
        _c("g6_collection_runs_total", ("result",), "Collection cycles by result (ok, degraded, failed)."),
        _h("g6_collection_duration_seconds", (), "Wall time of a collection cycle.", DURATION_BUCKETS),
        _g("g6_collection_last_run_timestamp_seconds", (), "Unix time the latest collection cycle finished."),
        _g("g6_calendar_days_left", (),
           "Days from the collected minute to the last day the holiday file covers (0 on that day)."),
        _c("g6_index_collections_total", ("index", "status"),
           "Per-underlying collections by status (ok, degraded, failed, stale, closed, skipped)."),
        _g("g6_underlyings_skipped", (),
           "Underlyings the latest cycle skipped: its quote time ran out before they were asked for (the "
           "lowest in the collection priority)."),
        _g("g6_collection_last_success_timestamp_seconds", IX,
           "Unix time of the latest minute collected (ok or degraded) for the index.", keep_last=True),
        _g("g6_legs_expected", IX, "Option legs requested in the latest cycle."),
        _g("g6_legs_missing", IX, "Option legs requested but not quoted in the latest cycle."),
        _g("g6_legs_stale", IX, "Option legs whose quote had not advanced for alerts.quote_stale_seconds."),
        _g("g6_quote_age_seconds", IX,
           "How long the index's quotes had not advanced by the exchange's clock when the latest minute was "
           "fetched: the larger of the index quote's age and its freshest option quote's age."),
        _g("g6_exchange_closed", (),
           "1 when every quote of the latest minute carried an earlier session's time (nothing stored), else 0."),
        _g("g6_legs_collected", IX_TAG, "Option legs quoted in the latest cycle, per expiry."),
        _g("g6_expiry_collected", IX_TAG,
           "1 when the expiry was collected in the latest cycle, 0 when it was missing."),
        _g("g6_index_price", IX, "Index price at the latest collected minute (index points)."),
        _g("g6_atm_strike", IX_TAG, "ATM strike of the expiry at the latest collected minute (index points)."),
        _c("g6_metrics_series_dropped_total", (),
           "Per-option series left out because the series budget was reached."),
        _c("g6_metrics_push_failures_total", (),
           "Pushes to the Pushgateway that failed, counted by this run's push."),
    ),
    # provider: how the market-data provider fared
    *_section(
        "provider",
        _c("g6_provider_calls_total", ("endpoint", "result"),
           "Provider calls by endpoint and result ('ok' or the error class)."),
        _h("g6_provider_latency_seconds", ("endpoint",), "Latency of provider HTTP calls.", LATENCY_BUCKETS),
        _c("g6_provider_rate_limit_wait_seconds_total", (),
           "Time spent waiting for the provider rate limiter."),
        _c("g6_provider_retries_total", (), "Provider calls retried."),
        _g("g6_quote_calls", (), "Quote calls the latest cycle made (prices, stored windows, whole chains)."),
        _g("g6_provider_circuit_state", ("state",),
           "1 for the provider circuit breaker's current state (closed, open, half_open)."),
        _g("g6_provider_token_state", ("state",),
           "1 for the access token's current state (valid, unchecked, expired, missing, not_required)."),
    ),
    # analytics: what traders watch
    *_section(
        "analytics",
        _g("g6_pcr", IX_TAG, "Put-call ratio of open interest (ΣPE OI ÷ ΣCE OI over collected strikes)."),
        _g("g6_pcr_volume", IX_TAG, "Put-call ratio of traded volume."),
        _g("g6_atm_iv", IX_TAG, "Implied volatility at the ATM strike, a fraction (0.15 = 15 %)."),
        _g("g6_atm_straddle_price", IX_TAG, "ATM straddle (CE + PE) price in index points."),
        _g("g6_max_pain_strike", IX_TAG, "Max-pain strike in index points."),
        _g("g6_risk_reversal_25d", IX_TAG, "25-delta risk reversal: IV(25Δ call) − IV(25Δ put), a fraction."),
        _g("g6_chain_pcr", IX_TAG,
           "Put-call ratio of open interest over every listed strike of the expiry (the window's when "
           "g6_pcr_full_chain is 0)."),
        _g("g6_chain_pcr_volume", IX_TAG, "Put-call ratio of traded volume over every listed strike of the expiry."),
        _g("g6_chain_max_pain_strike", IX_TAG, "Max-pain strike over every listed strike of the expiry."),
        _g("g6_pcr_full_chain", IX_TAG,
           "1 when the chain_ figures cover the whole listed chain, 0 when only the stored window (quote budget)."),
        _g("g6_iv_rank", IX_TAG,
           "IV rank of the ATM IV over the trailing 252 sessions' daily closes, 0-100 (absent until enough history)."),
        _g("g6_iv_percentile", IX_TAG,
           "Share of the trailing 252 sessions' daily ATM-IV closes below today's ATM IV, 0-100."),
        _g("g6_gamma_exposure_rupees", IX_TAG,
           "Gamma exposure over the stored strikes, rupees of delta change for a 1 % index rise: Σ s·Γ·OI·S²/100, "
           "calls s = +1, puts −1 (dealers long the calls, short the puts)."),
        _g("g6_delta_exposure_rupees", IX_TAG,
           "Delta exposure over the stored strikes, rupees: Σ s·Δ·OI·S, calls s = +1, puts −1."),
        _c("g6_iv_solve_attempts_total", IX, "Legs with a quote whose implied volatility was solved for."),
        _c("g6_iv_solve_failures_total", ("index", "reason"),
           "Legs whose implied volatility could not be solved, by reason."),
    ),
    # storage: what the sinks wrote
    *_section(
        "storage",
        _c("g6_sink_rows_written_total", ("sink",), "Rows written per sink."),
        _c("g6_sink_bytes_written_total", ("sink",), "Bytes written per sink."),
        _c("g6_sink_write_failures_total", ("sink",), "Sink writes that failed."),
        _c("g6_sink_points_dropped_total", ("sink",), "Points a sink could not write (and did not spool)."),
        _c("g6_sink_write_seconds_total", ("sink",), "Time spent writing per sink."),
    ),
    # per_option: off by default, indices only (never a stock), ATM ± K strikes under a series budget
    *_section(
        "per_option",
        _g("g6_option_price", OPTION, "Last price of the option near ATM (index points)."),
        _g("g6_option_iv", OPTION, "Implied volatility of the option near ATM, a fraction."),
        _g("g6_option_oi", OPTION, "Open interest of the option near ATM (units)."),
    ),
    # the daily jobs of the Dagster layer
    *_section(
        "core",
        _g("g6_weekday_master_rows", IX, "Rows in the weekday master written by the latest run."),
        _g("g6_weekday_master_issues", ("index", "severity"),
           "Quality issues of the latest weekday-master run, by severity."),
        _g("g6_weekday_master_last_run_timestamp_seconds", IX, "Unix time of the latest weekday-master run."),
        job=JOB_WEEKDAY_MASTER,
    ),
    *_section(
        "core",
        _c("g6_asset_check_runs_total", (*CHECK, "result"),
           "Asset-check evaluations by result (passed, failed)."),
        _g("g6_asset_check_passed", CHECK,
           "1 when the latest evaluation of the asset check passed, 0 when it failed."),
        _g("g6_asset_check_last_run_timestamp_seconds", CHECK,
           "Unix time of the latest evaluation of the asset check."),
        job=JOB_ASSET_CHECKS,
    ),
    *_section(
        "core",
        _g("g6_day_minute_slots", ("index", "kind"),
           "Session minutes of the latest sealed day by kind: live (collected at the minute), repaired (refilled "
           "from Kite's historical candles) and missing."),
        _g("g6_day_minute_slots_day_timestamp_seconds", IX,
           "Unix time of the session open of the day g6_day_minute_slots counts."),
        job=JOB_DAY_MINUTES,
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
