"""The weekday master's fold: one new day folded into a weekday of 10, 50 and 200 recorded days.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_fold.py [--days 10 50 200] [--repeat 3]

For each history length N, the N-th Monday is materialised (`update_weekday_master`) two ways in the same run:
- incremental: from the running state of the N − 1 Mondays before it (what every daily fold does);
- full rebuild, the named baseline: the same call with no state, so every one of the N recorded Mondays is read
  from its sealed file and replayed (what an out-of-order or replaced day costs, and what every fold cost when
  the master had no running state).

Data: NIFTY, 4 expiry tags × ATM ± 20 strikes (164 series) × 375 minutes a day, CE and PE (123,000 option rows),
written as sealed days, each Monday's prices scaled a little differently.

Time: median of `--repeat` folds (the state of N − 1 Mondays is put back before each incremental one). Memory:
each (N, way) runs in a fresh Python process; its peak resident set during the first fold (VmHWM, reset through
/proc/self/clear_refs just before it) less its resident set before it.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.history.weekday_master import update_range, update_weekday_master
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline_tests.fakes.chains import make_chain, minute

LAST_MONDAY = date(2026, 11, 23)
INDEX = "NIFTY"
TAGS = ("this_week", "next_week", "this_month", "next_month")
MINUTES = 375
ALPHA = 0.5
CALENDAR = MarketCalendar.load(Path(__file__).resolve().parents[1] / "config")
PRICES = ("last_price", "bid", "ask", "average_price")
MOVING = ("iv", "delta", "gamma", "vega", "theta", "rho")


def _one_day() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A full session of NIFTY on `LAST_MONDAY`: one chain moved minute by minute, its prices, IV and Greeks
    moving a little (each leg differently, so the values are as incompressible as collected ones)."""
    chain = make_chain(INDEX, minute(LAST_MONDAY, "0915"), tags=TAGS, half_width=20)
    legs = np.arange(len(chain.options))
    options, overviews = [], []
    for k in range(MINUTES):
        frame = chain.options.copy()
        frame["timestamp"] = frame["timestamp"] + pd.Timedelta(minutes=k)
        for column in PRICES:
            frame[column] = np.round(frame[column] * (1 + 0.002 * np.sin(k / 7)) / 0.05) * 0.05
        for column in MOVING:
            frame[column] = frame[column] * (1 + 0.01 * np.sin(k / 11 + 0.37 * legs))
        frame["volume"] = frame["volume"] + 50 * k
        options.append(frame)
        overviews.append(dict(chain.overview, timestamp=chain.overview["timestamp"] + timedelta(minutes=k)))
    return pd.concat(options, ignore_index=True), pd.DataFrame(overviews)


def write_mondays(location: DataLocation, count: int) -> list[date]:
    """`count` sealed Mondays up to `LAST_MONDAY`, in date order."""
    options, overview = _one_day()
    mondays = sorted(LAST_MONDAY - timedelta(weeks=k) for k in range(count))
    sink = ParquetSink(location)
    for k, day in enumerate(mondays):
        shift = pd.Timedelta(days=(day - LAST_MONDAY).days)
        factor = 1 + 0.01 * np.sin(k)
        moved = options.assign(timestamp=options["timestamp"] + shift,
                               **{c: np.round(options[c] * factor / 0.05) * 0.05 for c in PRICES},
                               **{c: options[c] * factor for c in MOVING})
        sink.write_day_frames(moved, overview.assign(timestamp=overview["timestamp"] + shift))
    return mondays


def _status_kb(field: str) -> int:
    """A `VmRSS`/`VmHWM` figure of this process, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _measure(data: str, day: str, mode: str, snapshot: str, repeat: int, out: Any) -> None:
    """In a fresh process: fold `day` `repeat` times in `mode`; send (median s, peak MB of the first fold)."""
    location = DataLocation(data)
    state = location.weekday_state_file(INDEX, "MONDAY")
    kept = Path(snapshot).read_bytes()
    times, peak_mb = [], 0.0
    for attempt in range(repeat):
        if mode == "incremental":
            location.write_atomic(state, kept)
        else:
            location.remove(state)
        gc.collect()
        before = _status_kb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak resident set starts again from here
        start = time.perf_counter()
        update_weekday_master(location, date.fromisoformat(day), INDEX, ALPHA, CALENDAR)
        times.append(time.perf_counter() - start)
        if attempt == 0:
            peak_mb = (_status_kb("VmHWM") - before) / 1024
    out.send((statistics.median(times), peak_mb))


def measure(location: DataLocation, day: date, mode: str, snapshot: Path, repeat: int) -> tuple[float, float]:
    """(median seconds, peak MB) of folding `day` in `mode`, in a fresh process."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_measure, args=(str(location.root.path), day.isoformat(), mode,
                                                     str(snapshot), repeat, send))
    process.start()
    result: tuple[float, float] = receive.recv()
    process.join()
    return result


def _size_mb(folder: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in folder.rglob(pattern)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[10, 50, 200], help="history lengths N (≥ 2)")
    parser.add_argument("--repeat", type=int, default=3, help="folds per measurement (median)")
    args = parser.parse_args()
    lengths = sorted(set(args.days))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="g6-bench-fold-") as tmp:
        location = DataLocation(Path(tmp) / "data")
        start = time.perf_counter()
        mondays = write_mondays(location, lengths[-1])
        print(f"{lengths[-1]} sealed Mondays of {INDEX} written in {time.perf_counter() - start:.0f} s")
        state = Path(location.weekday_state_file(INDEX, "MONDAY").path)
        snapshot = Path(tmp) / "state-before"
        rows = []
        folded = 0
        for n in lengths:
            update_range(location, mondays[folded : n - 1], INDEX, ALPHA, CALENDAR)  # in order: from the state
            snapshot.write_bytes(state.read_bytes())
            incremental = measure(location, mondays[n - 1], "incremental", snapshot, args.repeat)
            full = measure(location, mondays[n - 1], "full", snapshot, args.repeat)
            folded = n
            rows.append((n, incremental, full, state.stat().st_size / 1e6))
        master = _size_mb(Path(location.weekday_master_root().path), "*.csv")
    load_after = os.getloadavg()
    print(f"\nweekday master fold of one new Monday, {INDEX} (164 series × {MINUTES} minutes a day), "
          f"median of {args.repeat}:")
    print("  recorded days   incremental          full rebuild (baseline)   full / incremental   state file")
    for n, (inc_s, inc_mb), (full_s, full_mb), state_mb in rows:
        print(f"  {n:13d}   {inc_s:6.2f} s {inc_mb:6.0f} MB    {full_s:7.2f} s {full_mb:6.0f} MB        "
              f"time {full_s / inc_s:5.1f}x  memory {full_mb / max(inc_mb, 1):4.1f}x   {state_mb:5.1f} MB")
    (first, (inc0, _), (full0, _), _), (last, (inc1, _), (full1, _), _) = rows[0], rows[-1]
    if last > first:
        print(f"  per recorded day: incremental {(inc1 - inc0) / (last - first) * 1000:+.1f} ms, "
              f"full rebuild {(full1 - full0) / (last - first) * 1000:+.1f} ms")
    print(f"  the Monday master's CSV files: {master:.1f} MB")
    print("  load average (1, 5, 15 min) before " + json.dumps([round(x, 2) for x in load_before])
          + ", after " + json.dumps([round(x, 2) for x in load_after]) + f" on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
