"""The data of each panel, built from one cycle's report, its runtime status and the previous panels.

The analytics and health panels keep a short rolling history (the last `HISTORY_WINDOW`) so that a page can
draw sparklines; a failed index adds no point (a gap, never an invented value).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport
from g6_pipeline.live.figures import collected_tags, index_figures, tag_figures, tags_for
from g6_pipeline.live.jsonfile import parse_time
from g6_pipeline.settings.model import Settings

HISTORY_WINDOW = timedelta(minutes=60)
_TAG_KEYS = (
    "expiry", "atm", "pcr", "pcr_volume", "max_pain", "max_pain_distance", "straddle",
    "straddle_day_change", "straddle_net_change", "atm_iv", "rr25", "bf25",
    "iv_rank", "iv_percentile", "iv_history", "iv_history_source", "gex", "dex",
)


def build_panel_data(
    report: CycleReport,
    settings: Settings,
    status: Mapping[str, Any],
    previous: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Panel name → data for this cycle. `previous` maps panel name → last published data (may be empty)."""
    minute = report.minute.astimezone(IST)
    return {
        "indices": _indices(report, status, minute),
        "analytics": _analytics(report, settings, previous.get("analytics") or {}, minute),
        "alerts": _alerts(status, minute),
        "storage": _storage(report, previous.get("storage") or {}, minute),
        "health": _health(status, previous.get("health") or {}, minute),
    }


def _indices(report: CycleReport, status: Mapping[str, Any], minute: datetime) -> dict[str, Any]:
    rows = []
    for name, outcome in report.indices.items():
        entry = status["indices"][name]
        figures = index_figures(outcome.chain.overview) if outcome.chain is not None else {}
        rows.append(
            {
                "index": name,
                "status": entry["status"],
                "error": entry["error"],
                "ltp": entry["ltp"],
                "day_change": figures.get("index_day_change") if entry["ltp"] is not None else None,
                "net_change": figures.get("index_net_change") if entry["ltp"] is not None else None,
                "last_good_at": entry["last_good_at"],
                "age_seconds": entry["age_seconds"],
                "legs_expected": entry["legs_expected"],
                "legs_collected": entry["legs_collected"],
                "legs_missing": entry["legs_missing"],
            }
        )
    return {"minute": minute.isoformat(), "indices": rows}


def _analytics(
    report: CycleReport, settings: Settings, previous: Mapping[str, Any], minute: datetime
) -> dict[str, Any]:
    old_history = {
        row.get("index"): row.get("history") or []
        for row in previous.get("indices") or []
        if isinstance(row, dict)
    }
    rows = []
    for name, outcome in report.indices.items():
        row: dict[str, Any] = {"index": name, "status": outcome.status, "near_tag": None, "expiries": []}
        point: dict[str, Any] | None = None
        if outcome.chain is not None and outcome.status != "failed":
            overview = outcome.chain.overview
            row.update(
                {k: v for k, v in index_figures(overview).items() if k != "index_prev_close"}
            )
            tags = collected_tags(overview, tags_for(settings, name))
            for tag in tags:
                figures = tag_figures(overview, tag)
                row["expiries"].append({"tag": tag, **{k: figures[k] for k in _TAG_KEYS}})
            if tags:
                near = row["expiries"][0]
                row["near_tag"] = tags[0]
                point = {"t": minute.isoformat(), "straddle": near["straddle"], "pcr": near["pcr"]}
        row["history"] = _roll(old_history.get(name) or [], point, minute)
        rows.append(row)
    return {"minute": minute.isoformat(), "window_minutes": int(HISTORY_WINDOW.total_seconds() // 60), "indices": rows}


def _alerts(status: Mapping[str, Any], minute: datetime) -> dict[str, Any]:
    alerts = list(status.get("alerts") or [])
    counts = {level: sum(1 for a in alerts if a.get("severity") == level) for level in ("critical", "warning", "info")}
    return {"minute": minute.isoformat(), "counts": counts, "alerts": alerts}


def _storage(report: CycleReport, previous: Mapping[str, Any], minute: datetime) -> dict[str, Any]:
    last_ok = {
        row.get("sink"): row.get("last_ok_at") for row in previous.get("sinks") or [] if isinstance(row, dict)
    }
    rows = []
    for sink in report.sinks:
        ok = sink.error is None
        rows.append(
            {
                "sink": sink.sink,
                "ok": ok,
                "rows": sink.rows,
                "bytes": sink.bytes,
                "seconds": sink.seconds,
                "error": sink.error,
                "points_dropped": sink.points_dropped,
                "last_ok_at": minute.isoformat() if ok else last_ok.get(sink.sink),
            }
        )
    return {"minute": minute.isoformat(), "sinks": rows}


def _health(status: Mapping[str, Any], previous: Mapping[str, Any], minute: datetime) -> dict[str, Any]:
    point = {
        "t": minute.isoformat(),
        "duration_seconds": status["duration_seconds"],
        "success_rate": status["success_rate"],
        "options": status["options_last_cycle"],
    }
    return {
        "minute": minute.isoformat(),
        "cycle": status["cycle"],
        "ok": status["ok"],
        "error": status["error"],
        "duration_seconds": status["duration_seconds"],
        "success_rate": status["success_rate"],
        "options_last_cycle": status["options_last_cycle"],
        "options_per_minute": status["options_per_minute"],
        "provider": status["provider"],
        "history": _roll(previous.get("history") or [], point, minute),
    }


def _roll(history: list[Any], point: dict[str, Any] | None, minute: datetime) -> list[dict[str, Any]]:
    """Keep points of the last `HISTORY_WINDOW` before `minute`, replace any point of `minute`, append."""
    kept = []
    for item in history:
        when = parse_time(item.get("t")) if isinstance(item, dict) else None
        if when is not None and minute - HISTORY_WINDOW < when < minute:
            kept.append(item)
    if point is not None:
        kept.append(point)
    return kept
