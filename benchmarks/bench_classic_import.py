"""`g6 import-classic` of a million classic CSV rows: wall time, peak memory and progress, against the same
import of a tenth of the rows in the same run (bounded memory: the peak should not grow with the rows).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_classic_import.py [--rows 1000000]

The classic files are those `g6 backfill` writes for one day of NIFTY with the shipped configuration, copied to
as many trading days as the rows need (each copy's timestamps moved to its day). Each import runs as its own
`g6 import-classic` process into a fresh data directory; its peak resident memory is its own `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.bench_backfill import REPO, config_in
from g6_pipeline.core.calendar import MarketCalendar

DAY = date(2026, 11, 20)
MEASURED = """
import resource, sys
from g6_pipeline.cli.main import main
code = main(sys.argv[1:])
print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""


def one_day(root: Path, env: dict[str, str]) -> Path:
    """The classic files of one backfilled day of NIFTY (its g6_data folder)."""
    subprocess.run([sys.executable, "-m", "g6_pipeline.cli.main", "backfill", "--start", DAY.isoformat(), "--end",
                    DAY.isoformat(), "--index", "NIFTY", "--workers", "1"], env=env, cwd=REPO, check=True,
                   capture_output=True)
    return root / "data" / "g6_data"


def copies(source: Path, target: Path, days: list[date]) -> int:
    """`source`'s files of DAY copied to each of `days` (timestamps moved too); the data rows written."""
    rows = 0
    old = DAY.strftime("%d-%m-%Y").encode()
    for path in source.rglob(f"{DAY.isoformat()}.csv"):
        data = path.read_bytes()
        for day in days:
            copy = target / path.relative_to(source).parent / f"{day.isoformat()}.csv"
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(data.replace(old, day.strftime("%d-%m-%Y").encode()))
            rows += data.count(b"\n") - 1
    return rows


def run_import(folder: Path, data: Path, env: dict[str, str]) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS in MiB, progress lines, summary line) of one import."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURED, "import-classic", str(folder), "--data-dir", str(data)],
                          env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"g6 import-classic failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = int(proc.stderr.strip().splitlines()[-1].split()[-1]) // 1024
    progress = sum(1 for line in proc.stdout.splitlines() if line.startswith("["))
    summary = next(line for line in proc.stdout.splitlines() if " rows read = " in line)
    print(f"    (load before {load:.1f})")
    return elapsed, peak, progress, summary.split(": ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="g6-bench-import-") as tmp:
        root = Path(tmp)
        config = config_in(root)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "DAGSTER_"))}
        env.update(G6_CONFIG_DIR=str(config), PYTHONPATH=str(REPO))
        source = one_day(root, env)
        per_day = sum(p.read_bytes().count(b"\n") - 1 for p in source.rglob("*.csv"))
        calendar = MarketCalendar.load(REPO / "config")
        days = [d for d in calendar.trading_days(date(2025, 1, 1), date(2026, 10, 30))][: -(-args.rows // per_day)]
        results = {}
        for name, count in (("a tenth (baseline)", max(1, len(days) // 10)), ("all", len(days))):
            folder = root / f"classic-{count}"
            rows = copies(source, folder, days[:count])
            print(f"{name}: {rows:,} classic rows in {count} days × NIFTY")
            took, peak, progress, summary = run_import(folder, root / f"data-{count}", env)
            results[name] = (rows, took, peak)
            print(f"  {took:.1f} s ({rows / took:,.0f} rows/s), peak RSS {peak} MiB, {progress} progress lines; "
                  f"{summary}")
            shutil.rmtree(folder)
            shutil.rmtree(root / f"data-{count}")
    (small, _, small_peak), (big, _, big_peak) = results.values()
    print(f"peak memory with {big / small:.0f}x the rows: {big_peak / small_peak:.2f}x (bounded: about 1x)")


if __name__ == "__main__":
    main()
