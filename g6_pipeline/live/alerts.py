"""Alerts a trader should see at a glance, derived from one cycle's report and what came before it.

The thresholds are `settings.alerts`, the same ones the Prometheus rules use. Texts are taken as the report
carries them: the live-file writer cleans and masks every string.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from g6_pipeline.core.report import CycleReport, IndexOutcome, SinkOutcome
from g6_pipeline.settings.model import AlertSettings

Severity = Literal["critical", "warning", "info"]

_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}


def alert(
    severity: Severity, kind: str, message: str, *, index: str | None = None, sink: str | None = None
) -> dict[str, Any]:
    """One alert as it appears in the status file and the alerts panel."""
    return {"severity": severity, "kind": kind, "index": index, "sink": sink, "message": message}


def build_alerts(
    report: CycleReport,
    last_good_at: Mapping[str, datetime | None],
    near_pcr: Mapping[str, float | None],
    thresholds: AlertSettings,
) -> list[dict[str, Any]]:
    """Every alert for this cycle, most severe first.

    `last_good_at`: per index, when its last good (ok or degraded) data was fetched, None if never.
    `near_pcr`: per index, the near-expiry PCR of this cycle (None when unknown).
    """
    alerts = _provider_alerts(report)
    if report.exchange_closed:
        alerts.append(alert("info", "exchange_closed", report.exchange_closed))
    for name, outcome in report.indices.items():
        if outcome.status == "closed":
            continue  # a closed exchange sends nothing new: not an index gone stale
        alerts += _stale_alerts(name, last_good_at.get(name), report.finished_at, thresholds)
        alerts += _outcome_alerts(name, outcome)
        alerts += _pcr_alerts(name, near_pcr.get(name), thresholds)
    for sink in report.sinks:
        alerts += _sink_alerts(sink)
    alerts.sort(key=lambda a: _ORDER[a["severity"]])
    return alerts


def _provider_alerts(report: CycleReport) -> list[dict[str, Any]]:
    """The cycle's own failure, the access token and the provider's circuit breaker."""
    out = []
    stats = report.provider_stats
    if report.error:
        out.append(alert("critical", "cycle_failed", f"cycle failed: {report.error}"))
    if stats.token_state == "expired":
        out.append(alert("critical", "token_expired", "access token expired: renew it with `g6 token`"))
    elif stats.token_state == "missing":
        out.append(alert("critical", "token_missing", "no access token: create one with `g6 token`"))
    if stats.circuit == "open":
        out.append(alert("critical", "circuit_open", "provider circuit open: calls suspended after failures"))
    elif stats.circuit == "half_open":
        out.append(alert("warning", "circuit_half_open", "provider circuit half-open: probing after failures"))
    return out


def _stale_alerts(
    name: str, seen: datetime | None, now: datetime, thresholds: AlertSettings
) -> list[dict[str, Any]]:
    """An index without good data yet, or whose last good data is older than the stale threshold."""
    if seen is None:
        return [alert("critical", "stale_index", f"{name}: no good data yet", index=name)]
    if (now - seen).total_seconds() > thresholds.stale_after_seconds:
        return [alert("critical", "stale_index", f"{name}: stale since {seen:%H:%M}", index=name)]
    return []


def _outcome_alerts(name: str, outcome: IndexOutcome) -> list[dict[str, Any]]:
    """A failed, stale or degraded collection of one index."""
    if outcome.status == "stale":
        return [alert("critical", "quotes_stale", f"{name}: {outcome.error or 'stale quotes'}", index=name)]
    if outcome.status == "failed":
        reason = outcome.error or "no reason given"
        return [alert("warning", "index_failed", f"{name}: collection failed: {reason}", index=name)]
    if outcome.status == "degraded":
        detail = f"{outcome.legs_missing} of {outcome.legs_expected} legs missing"
        if outcome.error:
            detail += f" ({outcome.error})"
        return [alert("info", "index_degraded", f"{name}: degraded chain, {detail}", index=name)]
    return []


def _pcr_alerts(name: str, pcr: float | None, thresholds: AlertSettings) -> list[dict[str, Any]]:
    """A near-expiry PCR outside [pcr_low, pcr_high]."""
    if pcr is None or not math.isfinite(pcr) or thresholds.pcr_low <= pcr <= thresholds.pcr_high:
        return []
    side = "low" if pcr < thresholds.pcr_low else "high"
    return [alert("warning", "pcr_extreme", f"{name}: PCR {pcr:.2f} extremely {side}", index=name)]


def _sink_alerts(sink: SinkOutcome) -> list[dict[str, Any]]:
    """A sink that failed, or dropped points."""
    out = []
    if sink.error:
        out.append(alert("critical", "sink_failed", f"sink {sink.sink} failed: {sink.error}", sink=sink.sink))
    if sink.points_dropped:
        message = f"sink {sink.sink} dropped {sink.points_dropped} points"
        out.append(alert("warning", "points_dropped", message, sink=sink.sink))
    return out
