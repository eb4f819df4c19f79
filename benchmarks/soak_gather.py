"""The soak while it runs and after: timed faults and the live status file's alerts during the window,
waiting for the window's runs to finish, and the report gathered from the run records, the sensor's ticks and
the stored data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.daemon import minute_run_records, run_failure, sensor_skips
from benchmarks.proctree import TreeSampler
from benchmarks.soak_faults import Event
from benchmarks.soak_report import csv_duplicates, index_figures, totals
from g6_pipeline.collection.run_tags import MINUTE_TAG
from g6_pipeline.core.clock import IST
from g6_pipeline.settings import Settings
from g6_pipeline.storage.location import DataLocation

POLL_SECONDS = 0.5
TERMINAL = ("SUCCESS", "FAILURE", "CANCELED")


def watch_status(location: DataLocation, clock: Callable[[], datetime], until: datetime,
                 events: Sequence[Event]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Until `until` (shifted clock): run each event when due and note every alert of the live status file
    (per severity, kind and index: first minute, cycles seen, first message)."""
    alerts: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen_minutes: set[str] = set()
    path = Path(location.runtime_status_file().path)
    while clock() < until:
        for event in events:
            if event.done is None and clock() >= event.due:
                event.done = f"{clock():%H:%M:%S} {event.action()}"
        try:
            status = json.loads(path.read_text())
        except (OSError, ValueError):
            status = None
        minute = status.get("minute") if isinstance(status, dict) else None
        if isinstance(minute, str) and minute not in seen_minutes:
            seen_minutes.add(minute)
            for a in status.get("alerts") or []:
                key = (str(a.get("severity")), str(a.get("kind")), str(a.get("index") or ""))
                entry = alerts.setdefault(key, {"first": minute[11:16], "cycles": 0, "message": a.get("message")})
                entry["cycles"] += 1
        time.sleep(POLL_SECONDS)
    return alerts


def settle(home: Path, window: Sequence[datetime], clock: Callable[[], datetime], timeout: float = 240.0) -> None:
    """Wait until the window is over (and the sensor had its tick for the last minute), then until the runs
    of the window's minutes have finished (or `timeout` seconds)."""
    while clock() < window[-1] + timedelta(minutes=1, seconds=15):
        time.sleep(1)
    deadline = time.monotonic() + timeout
    keys = {m.isoformat() for m in window}
    while time.monotonic() < deadline:
        records = [r for r in minute_run_records(home) if r.dagster_run.tags.get(MINUTE_TAG) in keys]
        if all(r.dagster_run.status.value in TERMINAL for r in records):
            return
        time.sleep(2)


def minute_reasons(home: Path, window: Sequence[datetime]) -> tuple[dict[datetime, str], dict[str, int]]:
    """Why a window minute might be missing (its run's failure, or the sensor's skip during it), and the
    count of minute runs per status."""
    reasons: dict[datetime, str] = {}
    statuses: dict[str, int] = {}
    keys = {m.isoformat(): m for m in window}
    for record in minute_run_records(home):
        minute = keys.get(record.dagster_run.tags.get(MINUTE_TAG, ""))
        if minute is None:
            continue
        status = record.dagster_run.status.value
        statuses[status] = statuses.get(status, 0) + 1
        if status == "FAILURE":
            message = run_failure(home, record.dagster_run.run_id).splitlines()
            reasons[minute] = "run failed: " + (message[0] if message else "no failure message")
        elif status == "SUCCESS":
            reasons.setdefault(minute, "run succeeded without this index")
    for stamp, reason in sensor_skips(home):
        at = datetime.fromtimestamp(stamp, IST).replace(second=0, microsecond=0)
        if at in keys.values() and at not in reasons:
            reasons[at] = f"not requested: {reason}"
    for minute in window:
        reasons.setdefault(minute, "no run requested and no skip recorded")
    return reasons, statuses


def gather(root: Path, location: DataLocation, settings: Settings, window: Sequence[datetime],
           events: Sequence[Event], alerts: dict[tuple[str, str, str], dict[str, Any]],
           sampler: TreeSampler) -> dict[str, Any]:
    """The report's figures (the caller adds what it ran)."""
    home = root / "dagster_home"
    reasons, statuses = minute_reasons(home, window)
    corrupted = next((e.done.split(" ", 1)[1] for e in events if e.name == "corrupt slice" and e.done), None)
    grace = settings.collection.late_grace_seconds
    per_index = {name: index_figures(location, name, window, grace, reasons) for name in settings.enabled_indices}
    return {
        "window": [f"{m:%H:%M}" for m in window],
        "per_index": {name: asdict(f) for name, f in per_index.items()},
        "total": totals(per_index),
        "csv_duplicates": csv_duplicates(root / "data", window[0].date()),
        "corrupted": corrupted,
        "events": {e.name: e.done for e in events},
        "alerts": [{"severity": k[0], "kind": k[1], "index": k[2], **v} for k, v in sorted(alerts.items())],
        "runs": statuses,
        "rss": sampler.by_kind(),
        "rss_tree_total_mib": round(sampler.peak_total_kb / 1024, 1),
    }
