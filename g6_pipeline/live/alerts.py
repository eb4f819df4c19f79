"""Alerts a trader should see at a glance, derived from one cycle's report and what came before it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from g6_pipeline.core.report import CycleReport
from g6_pipeline.util.redact import mask_secrets

Severity = Literal["critical", "warning", "info"]

PCR_LOW = 0.5
"""Near-expiry PCR below this is flagged as extreme (calls heavily outweigh puts)."""
PCR_HIGH = 1.5
"""Near-expiry PCR above this is flagged as extreme (puts heavily outweigh calls)."""


def alert(
    severity: Severity, kind: str, message: str, *, index: str | None = None, sink: str | None = None
) -> dict[str, Any]:
    """One alert as it appears in the status file and the alerts panel."""
    return {"severity": severity, "kind": kind, "index": index, "sink": sink, "message": message}


def build_alerts(
    report: CycleReport,
    last_good_at: Mapping[str, datetime | None],
    near_pcr: Mapping[str, float | None],
    stale_after_seconds: float,
    secrets: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every alert for this cycle, most severe first.

    `last_good_at`: per index, when its last good (ok or partial) data was fetched, None if never.
    `near_pcr`: per index, the near-expiry PCR of this cycle (None when unknown).
    """
    secret_list = [s for s in secrets if s]

    def clean(text: str) -> str:
        return mask_secrets(text, secret_list)

    alerts: list[dict[str, Any]] = []
    stats = report.provider_stats
    if report.error:
        alerts.append(alert("critical", "cycle_failed", f"cycle failed: {clean(report.error)}"))
    if stats.token_state == "expired":
        alerts.append(alert("critical", "token_expired", "access token expired: renew it with `g6 token`"))
    elif stats.token_state == "missing":
        alerts.append(alert("critical", "token_missing", "no access token: create one with `g6 token`"))
    if stats.circuit == "open":
        alerts.append(alert("critical", "circuit_open", "provider circuit open: calls suspended after failures"))
    elif stats.circuit == "half_open":
        alerts.append(alert("warning", "circuit_half_open", "provider circuit half-open: probing after failures"))

    for name, outcome in report.indices.items():
        seen = last_good_at.get(name)
        age = (report.finished_at - seen).total_seconds() if seen is not None else None
        if age is None:
            alerts.append(alert("critical", "stale_index", f"{name}: no good data yet", index=name))
        elif age > stale_after_seconds:
            when = seen.strftime("%H:%M") if seen is not None else "?"
            alerts.append(alert("critical", "stale_index", f"{name}: stale since {when}", index=name))
        if outcome.status == "failed":
            reason = clean(outcome.error) if outcome.error else "no reason given"
            alerts.append(alert("warning", "index_failed", f"{name}: collection failed: {reason}", index=name))
        elif outcome.status == "partial":
            detail = f"{outcome.legs_missing} of {outcome.legs_expected} legs missing"
            if outcome.error:
                detail += f" ({clean(outcome.error)})"
            alerts.append(alert("info", "index_partial", f"{name}: partial chain, {detail}", index=name))
        pcr = near_pcr.get(name)
        if pcr is not None and math.isfinite(pcr) and (pcr < PCR_LOW or pcr > PCR_HIGH):
            side = "low" if pcr < PCR_LOW else "high"
            alerts.append(alert("warning", "pcr_extreme", f"{name}: PCR {pcr:.2f} extremely {side}", index=name))

    for sink in report.sinks:
        if sink.error:
            alerts.append(
                alert("critical", "sink_failed", f"sink {sink.sink} failed: {clean(sink.error)}", sink=sink.sink)
            )
        if sink.points_dropped:
            alerts.append(
                alert("warning", "points_dropped", f"sink {sink.sink} dropped {sink.points_dropped} points",
                      sink=sink.sink)
            )

    order = {"critical": 0, "warning": 1, "info": 2}
    alerts.sort(key=lambda a: order[a["severity"]])
    return alerts
