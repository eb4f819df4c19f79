"""Bhavcopy import speed: one day's NSE F&O bhavcopy read, built into chains and priced.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_bhavcopy.py [--repeat 5]

Data: a zipped UDiFF file the size of a real NSE day (~52,000 option rows): NIFTY 18 expiries × 121 strikes,
BANKNIFTY and FINNIFTY 3 monthly expiries × 101 strikes, 190 stock underlyings × 3 expiries × 45 strikes,
plus a future per underlying. Baseline, in the same run: `pandas.read_csv` of the zipped file with every
column as text (what any reader of the file pays before looking at a value). Measured: `read_bhavcopy` of
the three indices (checks every value it keeps), `chain_days` (every listed strike of the four tags) and
`price_days` (the same `enrich` as a collected minute), each as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from g6_pipeline.analytics.close_of_day import price_days
from g6_pipeline.providers.bhavcopy.chains import chain_days
from g6_pipeline.providers.bhavcopy.layout import read_bhavcopy
from g6_pipeline_tests.fakes.bhavcopy import (
    Contract,
    csv_bytes,
    future_row,
    nse_name,
    priced_chain,
    rows_of,
    write_zip,
)

DAY = date(2026, 1, 5)
INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY")


def _monthlies(count: int) -> list[date]:
    out, month = [], date(2026, 1, 1)
    for _ in range(count):
        nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = nxt - timedelta(days=1)
        out.append(last - timedelta(days=(last.weekday() - 1) % 7))
        month = nxt
    return out


def build_file(folder: Path) -> Path:
    """The day's file (see the module docstring)."""
    weeklies = [DAY + timedelta(days=1 + 7 * i) for i in range(6)]
    nifty_expiries = sorted(set(weeklies) | set(_monthlies(12)))
    rows = rows_of(DAY, "NIFTY", 26000.0, priced_chain(DAY, 26010.0, nifty_expiries,
                                                       [23000.0 + 50 * i for i in range(121)], 0.13, 0.065, 65), 65)
    for name, spot, step in (("BANKNIFTY", 59000.0, 100.0), ("FINNIFTY", 27000.0, 50.0)):
        strikes = [spot - 50 * step + step * i for i in range(101)]
        rows += rows_of(DAY, name, spot, priced_chain(DAY, spot, _monthlies(3), strikes, 0.14, 0.065, 30), 30)
    for n in range(190):
        spot = 200.0 + 25 * n
        contracts = [Contract(e, spot * (0.78 + 0.01 * i), side, 5.0 + i, oi=500 * i, volume=100)
                     for e in _monthlies(3) for i in range(45) for side in ("CE", "PE")]
        rows += rows_of(DAY, f"STOCK{n:03d}", spot, contracts, 500, instrument="STO")
    rows += [future_row(DAY, name, _monthlies(1)[0], 26000.0, 65) for name in INDICES]
    return write_zip(folder / nse_name(DAY), csv_bytes(rows))


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = build_file(Path(tmp))
        baseline = timed(lambda: pd.read_csv(path, dtype=str, keep_default_na=False), args.repeat)
        rows = read_bhavcopy(path, underlyings=INDICES)
        read = timed(lambda: read_bhavcopy(path, underlyings=INDICES), args.repeat)
        days = chain_days(rows, str(path))
        build = timed(lambda: chain_days(rows, str(path)), args.repeat)
        priced = timed(lambda: price_days(days, 0.065), args.repeat)
        legs = sum(len(d.snapshot.legs) for d in days)
        total = len(pd.read_csv(path, dtype=str))
    print(f"file: {total:,} rows, {len(rows):,} index option rows kept, {legs:,} legs in {len(days)} chains")
    print(f"baseline pandas.read_csv (all text)   {baseline * 1000:8.1f} ms")
    for name, seconds in (("read_bhavcopy (3 indices, checked)", read), ("chain_days (every strike, 4 tags)", build),
                          ("price_days (enrich)", priced), ("whole day", read + build + priced)):
        print(f"{name:38s} {seconds * 1000:8.1f} ms  {seconds / baseline:5.2f}× baseline")


if __name__ == "__main__":
    main()
