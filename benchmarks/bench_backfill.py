"""The backfill across cores: `g6 backfill` of N synthetic trading days × the shipped indices, weekday master
included, with 1 worker (the baseline) and with 2, each into a fresh data directory in the same run; then the
README's month (`--start 2026-10-01 --end 2026-11-20`) with 2 workers.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_backfill.py [--days 20] [--no-month]

Goals on 2 cores: 20 days under 60 s with 2 workers, the month under 5 minutes. Prints each run's wall and CPU
time (CPU / wall: the cores it kept busy), the speed-up of 2 workers over 1, and the load average before each
run (other work on the machine slows it and takes cores from it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from g6_pipeline.core.calendar import MarketCalendar

REPO = Path(__file__).resolve().parents[1]
END = date(2026, 11, 20)
MONTH = (date(2026, 10, 1), END)


def config_in(root: Path) -> Path:
    """A copy of the repository's configuration with its data directory in `root/data`."""
    config = root / "config"
    shutil.copytree(REPO / "config", config)
    platform = json.loads((config / "platform_config.json").read_text())
    platform["data_dir"] = str(root / "data")
    (config / "platform_config.json").write_text(json.dumps(platform))
    return config


def backfill(start: date, end: date, workers: int) -> float:
    """Wall seconds of `g6 backfill --start --end --workers` into a fresh data directory (its CPU seconds printed
    too: CPU / wall is how many cores it kept busy, which other load on the machine also limits)."""
    with tempfile.TemporaryDirectory(prefix="g6-bench-backfill-") as tmp:
        config = config_in(Path(tmp))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "DAGSTER_"))}
        env.update(G6_CONFIG_DIR=str(config), PYTHONPATH=str(REPO))
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "g6_pipeline.cli.main", "backfill", "--start", start.isoformat(),
                               "--end", end.isoformat(), "--workers", str(workers)],
                              env=env, cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"g6 backfill failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = next(line for line in proc.stdout.splitlines() if line.startswith("backfilled "))
    print(f"  {workers} worker{'s' if workers > 1 else ''}: {elapsed:6.1f} s wall, {cpu:6.1f} s CPU ({cpu / elapsed:.2f} "
          f"cores busy; load before {load:.1f}; {summary})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--no-month", action="store_true", help="leave out the README's month")
    args = parser.parse_args()
    calendar = MarketCalendar.load(REPO / "config")
    days = calendar.trading_days(END - timedelta(days=3 * args.days), END)[-args.days:]
    print(f"backfill of {len(days)} trading days ({days[0]} to {days[-1]}) × the shipped indices, "
          f"on {os.cpu_count()} cores")
    one = backfill(days[0], days[-1], 1)
    two = backfill(days[0], days[-1], 2)
    print(f"  speed-up of 2 workers over 1 (the baseline): {one / two:.2f}x; goal 60 s for 20 days: "
          f"{'met' if two * 20 / len(days) < 60 else 'MISSED'}")
    if not args.no_month:
        month = calendar.trading_days(*MONTH)
        print(f"the README's month, {MONTH[0]} to {MONTH[1]} ({len(month)} trading days):")
        took = backfill(*MONTH, 2)
        print(f"  goal 5 minutes: {'met' if took < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
