"""`runtime_status.json`: the state of the last collection cycle, rewritten atomically after every cycle.

It carries what a glance needs: when, which cycle, how long it took, the provider (and whether its market is
simulated) and its health, the token state ("valid" only once Kite confirmed it), the provider's last error
(kept until a newer one), per index (status, LTP, age of the last good data, legs, near-expiry PCR / ATM IV /
max pain), the exchange's clock (each index's exchange time and quote age, `stale` with how long;
`exchange_closed` when every quote carried an earlier session's time), the calendar (whether the day is
provisional, and the fix), the success rate, options per minute and the alerts. No secret is ever written.

The running pipeline keeps the status: a manual cycle (`g6 collect --once`) writes it only when no pipeline run
wrote it within `PIPELINE_KEEPS_STATUS` (`pipeline_keeps_status`). While the pipeline runs it rewrites the
status every minute, so a manual cycle beside it (refused, failed or fine) would only replace the pipeline's
view for a minute with one that is not the pipeline's; when the pipeline is stopped or between sessions, the
manual cycle's status is the newest news and is written. Each status says which `origin` wrote it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from g6_pipeline.core.calendar import COVERAGE_WARN_DAYS, IMPORT_HINT
from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport, IndexOutcome
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.live.alerts import alert, build_alerts
from g6_pipeline.live.figures import collected_tags, index_figures, tag_figures, tags_for
from g6_pipeline.live.jsonfile import (
    LiveDir,
    live_location,
    local_path,
    parse_time,
    read_json_object,
    write_json_atomic,
)
from g6_pipeline.settings.model import Settings
from g6_pipeline.util.numeric import finite_or_none

STATUS_FILE = "runtime_status.json"
"""The status file's name, for messages; `DataLocation.runtime_status_file` builds its path."""
STATUS_SCHEMA = "g6.runtime_status.v1"
THROUGHPUT_WINDOW = timedelta(minutes=5)
"""Options per minute is averaged over the cycles of this window."""
PIPELINE_KEEPS_STATUS = timedelta(minutes=3)
"""A status a pipeline run wrote this recently is the running pipeline's: a manual cycle leaves it alone."""
Origin = Literal["pipeline", "manual"]
"""Who wrote a status: a pipeline run (the Dagster job) or a manual cycle (`g6 collect --once`)."""


def status_path(where: LiveDir) -> Path:
    """Where the runtime status lives."""
    return local_path(live_location(where).runtime_status_file())


_NEAR_FIGURES = ("pcr", "atm_iv", "max_pain", "max_pain_distance", "straddle")
"""The near-expiry figures each index entry carries."""


def build_status(
    report: CycleReport, settings: Settings, previous: dict[str, Any] | None, now: datetime,
    origin: Origin = "pipeline",
) -> dict[str, Any]:
    """The runtime status document for `report` written by `origin`, continuing the cycle count and history of
    `previous`.

    Texts are as the report carries them: `write_json_atomic` cleans and masks them when the file is written.
    """
    previous = previous or {}
    prev_cycle = previous.get("cycle")
    prev_indices = previous.get("indices")
    indices = {
        name: _index_entry(name, outcome, report.finished_at, settings,
                           prev_indices.get(name) if isinstance(prev_indices, dict) else None)
        for name, outcome in report.indices.items()
    }
    last_good = {name: parse_time(entry["last_good_at"]) for name, entry in indices.items()}
    near_pcr = {name: entry["pcr"] for name, entry in indices.items()}
    options = sum(o.legs_collected for o in report.indices.values() if o.status != "failed")
    throughput = _throughput(previous, report.minute, options)
    return {
        "schema": STATUS_SCHEMA,
        "generated_at": now.astimezone(IST).isoformat(),
        "origin": origin,
        "minute": report.minute.astimezone(IST).isoformat(),
        "cycle": prev_cycle + 1 if isinstance(prev_cycle, int) and prev_cycle >= 0 else 1,
        "started_at": report.started_at.astimezone(IST).isoformat(),
        "finished_at": report.finished_at.astimezone(IST).isoformat(),
        "duration_seconds": report.duration_seconds,
        "ok": report.ok,
        "error": report.error or None,
        "provider": _provider(report, _mapping(previous.get("provider"))),
        "exchange_closed": report.exchange_closed,
        "calendar": {
            "covered_until": report.calendar_covered_until.isoformat() if report.calendar_covered_until else None,
            "provisional": report.provisional_note is not None,
            "note": report.provisional_note,
        },
        "indices": indices,
        "index_order": list(indices),
        "success_rate": report.success_rate,
        "options_last_cycle": options,
        "options_per_minute": throughput["per_minute"],
        "recent_cycles": throughput["recent"],
        "alerts": build_alerts(report, last_good, near_pcr, settings.alerts) + calendar_alerts(report),
    }


def calendar_alerts(report: CycleReport) -> list[dict[str, Any]]:
    """A warning on a provisional day (the holiday file does not cover it), or when the file ends within 30 days
    of the minute; each says what to do."""
    if report.provisional_note is not None:
        return [alert("warning", "calendar_provisional", report.provisional_note)]
    end = report.calendar_covered_until
    if end is None:
        return []
    days_left = (end - report.minute.astimezone(IST).date()).days
    if not 0 <= days_left <= COVERAGE_WARN_DAYS:
        return []
    return [alert("warning", "calendar_ending", f"the market holiday file ends on {end} ({days_left} days "
                  f"left); after it weekdays are provisional sessions: import {end.year + 1}'s holiday list "
                  f"with `{IMPORT_HINT}`")]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _index_entry(
    name: str, outcome: IndexOutcome, finished_at: datetime, settings: Settings, previous: Any
) -> dict[str, Any]:
    """One index's entry: its outcome, its figures when collected, and when its last good data was fetched
    (from this cycle, else carried over from the `previous` entry)."""
    entry: dict[str, Any] = {
        "status": outcome.status,
        "error": outcome.error or None,
        "legs_expected": outcome.legs_expected,
        "legs_collected": outcome.legs_collected,
        "legs_missing": outcome.legs_missing,
        "legs_stale": None,
        "exchange_timestamp": None,
        "quote_age_seconds": None,
        "stale_seconds": None,
        "ltp": None,
        "day_change_pct": None,
        "minute": None,
        "near_tag": None,
        **dict.fromkeys(_NEAR_FIGURES),
    }
    seen: datetime | None = None
    if outcome.chain is not None:
        entry.update(_clock_figures(outcome))
    if outcome.chain is not None and outcome.status in ("ok", "degraded", "stale"):
        chain = outcome.chain
        seen = chain.snapshot.fetched_at.astimezone(IST) if outcome.status != "stale" else None
        entry["ltp"] = index_figures(chain.overview)["index_price"] or finite_or_none(chain.snapshot.spot)
        entry["minute"] = chain.timestamp.astimezone(IST).isoformat()
        previous_close = finite_or_none(chain.overview.get("index_prev_close")) or finite_or_none(
            chain.snapshot.spot_prev_close)
        if entry["ltp"] is not None and previous_close:
            entry["day_change_pct"] = 100.0 * (entry["ltp"] / previous_close - 1.0)
        tags = collected_tags(chain.overview, tags_for(settings, name))
        if tags:
            figures = tag_figures(chain.overview, tags[0])
            entry["near_tag"] = tags[0]
            entry.update({key: figures[key] for key in _NEAR_FIGURES})
    if seen is None and isinstance(previous, dict):
        seen = parse_time(previous.get("last_good_at"))
    entry["last_good_at"] = seen.isoformat() if seen is not None else None
    entry["age_seconds"] = (finished_at - seen).total_seconds() if seen is not None else None
    return entry


def _clock_figures(outcome: IndexOutcome) -> dict[str, Any]:
    """What the exchange's clock said of an index's quotes: its exchange time, quote age, how long it has been
    stale (None unless it is) and its stale legs."""
    assert outcome.chain is not None
    snap = outcome.chain.snapshot
    age = finite_or_none(snap.quote_age_seconds)
    when = snap.exchange_timestamp
    return {
        "legs_stale": snap.legs_stale,
        "exchange_timestamp": when.astimezone(IST).isoformat() if when is not None else None,
        "quote_age_seconds": age,
        "stale_seconds": age if outcome.status == "stale" else None,
    }


def _provider(report: CycleReport, previous: dict[str, Any]) -> dict[str, Any]:
    """The provider's name, health, token and circuit state, its last error (this cycle's, else the one
    `previous` carried) and its call statistics of this cycle."""
    stats = report.provider_stats
    calls_ok = sum(n for (_, result), n in stats.calls.items() if result == "ok")
    calls_all = sum(stats.calls.values())
    latencies = [seconds for _, seconds in stats.latencies]
    last_error: str | None = stats.last_error
    last_error_at: Any = report.finished_at.astimezone(IST).isoformat()
    if not last_error and previous.get("name") == report.provider and isinstance(previous.get("last_error"), str):
        last_error, last_error_at = previous["last_error"], previous.get("last_error_at")
    return {
        "name": report.provider,
        "simulated": report.provider in SIMULATED_SOURCES,
        "health": _provider_health(report),
        "token_state": stats.token_state,
        "circuit": stats.circuit,
        "last_error": last_error or None,
        "last_error_at": last_error_at if last_error else None,
        "calls": calls_all,
        "calls_failed": calls_all - calls_ok,
        "api_success_rate": calls_ok / calls_all if calls_all else None,
        "latency_ms_avg": 1000 * sum(latencies) / len(latencies) if latencies else None,
        "latency_ms_max": 1000 * max(latencies) if latencies else None,
        "retries": stats.retries,
        "rate_limit_wait_seconds": stats.rate_limit_wait_seconds,
    }


def write_status(
    report: CycleReport, settings: Settings, where: LiveDir, now: datetime | None = None,
    origin: Origin = "pipeline",
) -> dict[str, Any]:
    """Build the runtime status of `report`, write it atomically to the data location's `runtime_status.json`
    and return it as written (cleaned and masked)."""
    path = status_path(where)
    previous = read_json_object(path).document
    document = build_status(report, settings, previous, now or datetime.now(IST), origin)
    written: dict[str, Any] = write_json_atomic(path, document, settings.secret_values())
    return written


def pipeline_keeps_status(where: LiveDir, now: datetime) -> datetime | None:
    """When a pipeline run last wrote the status, if that was within `PIPELINE_KEEPS_STATUS` of `now` (the
    running pipeline keeps it; a status from before origins were recorded counts as the pipeline's), else None."""
    document = read_json_object(status_path(where)).document
    if document is None or document.get("origin", "pipeline") != "pipeline":
        return None
    written = parse_time(document.get("generated_at"))
    if written is None or not now - PIPELINE_KEEPS_STATUS <= written <= now + PIPELINE_KEEPS_STATUS:
        return None
    return written


def _provider_health(report: CycleReport) -> str:
    """'down' when the provider cannot be used, 'degraded' when some calls failed, else 'ok'."""
    stats = report.provider_stats
    if stats.circuit == "open" or stats.token_state in ("expired", "missing") or report.error:
        return "down"
    failed = any(result != "ok" for (_, result) in stats.calls)
    if stats.circuit == "half_open" or failed or any(o.status in ("failed", "stale") for o in report.indices.values()):
        return "degraded"
    return "ok"


def _throughput(previous: dict[str, Any], minute: datetime, options: int) -> dict[str, Any]:
    """Options per minute over the recent cycles (this one included), and the window kept for next time."""
    recent: list[list[Any]] = []
    stamp = minute.astimezone(IST)
    for item in previous.get("recent_cycles") or []:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], int)):
            continue
        when = parse_time(item[0])
        if when is not None and stamp - THROUGHPUT_WINDOW < when < stamp:
            recent.append([when.isoformat(), item[1]])
    recent.append([stamp.isoformat(), options])
    return {"per_minute": sum(n for _, n in recent) / len(recent), "recent": recent}
