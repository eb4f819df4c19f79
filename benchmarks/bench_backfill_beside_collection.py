"""The current minute beside a 20-day backfill: how long a minute's write waits for its writer locks, and
whether any minute is lost.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_backfill_beside_collection.py [--days 20]

`g6 backfill` of N synthetic trading days × the shipped indices (2 workers) runs in a subprocess on a data
directory, while this process collects minutes of later trading days into the same directory one after
another, through the same steps as the minute job (fetch → analytics → write, the synthetic provider, the
shipped configuration's indices and strike windows, `collection.writer_lock_seconds` at its default), until the
backfill has finished. Baseline, in the same run: the same number of minutes collected with no backfill
beside them.

Printed: minutes written, the wait of each minute's write for its locks (longest, p50, p95) and each write's
duration (p50, longest) against the baseline; minutes lost = minutes whose write failed or whose Parquet slices
or classic CSV lines are missing afterwards. Goals: longest wait under 1 s, 0 minutes lost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.bench_backfill import REPO, config_in
from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import analytics_step, fetch_step, write_step
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation, minute_key

END = date(2026, 11, 20)
TODAY = date(2026, 11, 23)
"""The first day collected beside the backfill, a trading day after its range (the next ones follow when a
session's minutes run out before the backfill does)."""
BASELINE_MINUTES = 60


def collector_for(root: Path) -> Collector:
    """The shipped configuration in `root`, replaying past minutes (no late-run check), no live status."""
    config = config_in(root)
    platform = json.loads((config / "platform_config.json").read_text())
    platform.setdefault("collection", {})["late_grace_seconds"] = None
    (config / "platform_config.json").write_text(json.dumps(platform))
    collector = Collector.from_settings(load_settings(config, environ={}))
    collector.publishers = []
    return collector


def write_minute(collector: Collector, minute: datetime) -> tuple[float, float, str | None]:
    """(lock wait, write seconds, the first sink error) of one collected minute."""
    state = analytics_step(collector, fetch_step(collector, minute))
    started = time.perf_counter()
    write_step(collector, state)
    error = next((s.error for s in state.sinks if s.error), None)
    return state.write_wait_seconds, time.perf_counter() - started, error


def lost(location: DataLocation, minutes: list[datetime], indices: list[str]) -> list[str]:
    """The (minute, index) whose options or overview slice or overview CSV line is missing."""
    missing = []
    for index in indices:
        for minute in minutes:
            day = minute.date()
            csv = location.overview_csv(index, day)
            lines = location.read_bytes(csv).decode() if location.exists(csv) else ""
            slices = [location.minute_slice(table, day, index, minute) for table in ("options", "overview")]
            if not all(location.exists(p) for p in slices) or minute.strftime("%d-%m-%Y %H:%M") not in lines:
                missing.append(f"{day} {minute_key(minute)} {index}")
    return missing


def summary(name: str, waits: list[float], writes: list[float]) -> str:
    """One line of figures in milliseconds."""
    q = statistics.quantiles(waits, n=20) if len(waits) > 1 else waits * 19
    return (f"  {name}: {len(writes)} minutes; lock wait longest {max(waits) * 1000:.1f} ms, p50 "
            f"{statistics.median(waits) * 1000:.1f} ms, p95 {q[18] * 1000:.1f} ms; write p50 "
            f"{statistics.median(writes) * 1000:.0f} ms, longest {max(writes) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    calendar = MarketCalendar.load(REPO / "config")
    days = calendar.trading_days(END - timedelta(days=3 * args.days), END)[-args.days:]
    session = [m for day in calendar.trading_days(TODAY, TODAY + timedelta(days=30)) for m in
               calendar.session_minutes(day)]
    with tempfile.TemporaryDirectory(prefix="g6-bench-beside-") as tmp:
        root = Path(tmp)
        collector = collector_for(root)
        indices = list(collector.settings.enabled_indices)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "DAGSTER_"))}
        env.update(G6_CONFIG_DIR=str(root / "config"), PYTHONPATH=str(REPO))
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        backfill = subprocess.Popen(
            [sys.executable, "-m", "g6_pipeline.cli.main", "backfill", "--start", days[0].isoformat(),
             "--end", days[-1].isoformat(), "--workers", "2"],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        waits, writes, errors, beside = [], [], [], []
        started = time.perf_counter()
        for minute in session:
            if backfill.poll() is not None:
                break
            wait, took, error = write_minute(collector, minute)
            waits.append(wait)
            writes.append(took)
            beside.append(minute)
            if error:
                errors.append(f"{minute_key(minute)}: {error}")
        backfill_seconds = time.perf_counter() - started
        _, err = backfill.communicate()
        if backfill.returncode != 0:
            raise SystemExit(f"g6 backfill failed ({backfill.returncode}):\n{err[-3000:]}")
        base_waits, base_writes = [], []
        baseline = session[len(beside):len(beside) + BASELINE_MINUTES]
        for minute in baseline:
            wait, took, error = write_minute(collector, minute)
            base_waits.append(wait)
            base_writes.append(took)
            if error:
                errors.append(f"{minute_key(minute)}: {error}")
        missing = lost(collector.location, [*beside, *baseline], indices)
    print(f"{len(days)}-day backfill × {len(indices)} indices (2 workers) took {backfill_seconds:.1f} s; "
          f"{len(beside)} minutes from {TODAY} on collected beside it, one after another")
    print(summary("beside the backfill", waits, writes))
    print(summary("baseline, nothing beside", base_waits, base_writes))
    print(f"  minutes lost: {len(missing) + len(errors)} (goal 0); longest wait goal 1 s: "
          f"{'met' if max(waits) < 1.0 else 'MISSED'}")
    for line in [*errors, *missing][:10]:
        print(f"    {line}")


if __name__ == "__main__":
    main()
