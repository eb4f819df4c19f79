"""The chain screen's analytics on read, and a bhavcopy day through the history layer, against baselines in the
same run.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_chain_views.py [--repeat 5]

Views: one synthetic NIFTY day (four expiry tags, ATM ± 20 strikes, 375 minutes) backfilled into a temporary
data directory. Baseline: `load_day`, the read every chain-screen request starts with. Measured, each as a
ratio to it: the OI change over 15 minutes by strike (`/api/oi?interval=15m`), OI over the day of five strikes
(`/api/oi_day`), gamma exposure by strike with the day's totals (`/api/exposure`) and the term structure
(`/api/term`), all at 15:00.

Import: one (day, index) of a bhavcopy (NIFTY, four expiries × 41 strikes). Baseline: pricing it
(`price_day`, what the import did before it went through the history layer). Measured: `import_day` (the
refusal check, the write and the seal recipe with its day checks), as a ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from datetime import time as dtime
from pathlib import Path

from g6_pipeline.analytics.close_of_day import price_day
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.history.imports import import_day, read_file
from g6_pipeline.live.chain_view import load_day, select
from g6_pipeline.live.exposure_views import exposure_view, term_view
from g6_pipeline.live.oi_views import oi_day_view, oi_interval_view
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline_tests.fakes.bhavcopy import csv_bytes, nse_name, priced_chain, rows_of, write_zip
from g6_pipeline_tests.fakes.config import make_config

DAY = date(2026, 11, 20)
TAGS = ["this_week", "next_week", "this_month", "next_month"]


def best(fn: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` timings of `fn`, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def setup_in(root: Path, strikes: int) -> ProcessSetup:
    config = make_config(root / "config", root / "data")
    (config / "indices_config.json").write_text(json.dumps({"NIFTY": {
        "exchange": "NFO", "spot_key": "NSE:NIFTY 50", "strikes_below": strikes, "strikes_above": strikes,
        "expiry_tags": TAGS}}))
    return ProcessSetup.load(load_settings(config, environ={}))


def views(root: Path, repeat: int) -> None:
    setup = setup_in(root / "views", 20)
    backfill_synthetic(setup, DAY, DAY)
    base = best(lambda: load_day("NIFTY", DAY, setup.location), repeat)
    stored = load_day("NIFTY", DAY, setup.location)
    sel = select(stored, "this_week", dtime(15, 0))
    print(f"views on one stored day ({len(stored.options):,} option rows): load_day {base:.1f} ms (baseline)")
    for name, fn in (("oi change 15m by strike", lambda: oi_interval_view(sel, 15)),
                     ("oi over the day, 5 strikes", lambda: oi_day_view(sel)),
                     ("exposure by strike + day", lambda: exposure_view(sel)),
                     ("term structure", lambda: term_view(sel))):
        took = best(fn, repeat)
        print(f"  {name:<28} {took:7.1f} ms   {took / base:5.2f} × load_day")


def import_one(root: Path, repeat: int) -> None:
    setup = setup_in(root / "import", 20)
    day = date(2026, 1, 5)
    expiries = [date(2026, 1, 13), date(2026, 1, 20), date(2026, 1, 27), date(2026, 2, 24)]
    strikes = [25000.0 + 50 * i for i in range(41)]
    contracts = priced_chain(day, 26010.0, expiries, strikes, 0.12, 0.065, 65)
    path = write_zip(root / nse_name(day), csv_bytes(rows_of(day, "NIFTY", 25990.0, contracts, 65)))
    (chain,), _ = read_file(setup, path, ["NIFTY"], None, None, all_strikes=True)
    base = best(lambda: price_day(chain, 0.065), repeat)
    took = []
    for _ in range(repeat):
        for folder in ("options", "overview"):
            target = Path(setup.location.table_dir(folder, day, "NIFTY").path)
            for file in target.glob("*.parquet"):
                file.unlink()
        started = time.perf_counter()
        outcome = import_day(setup, chain, DailyCloses(setup.location))
        took.append((time.perf_counter() - started) * 1000)
        assert outcome.outcome in ("imported", "replaced"), outcome.line()
    median = statistics.median(took)
    print(f"bhavcopy (day, index), {len(chain.snapshot.legs)} legs: price_day {base:.1f} ms (baseline); "
          f"import_day (write + seal + checks) {median:.1f} ms, {median / base:.2f} × price_day")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        views(Path(folder), args.repeat)
        import_one(Path(folder), args.repeat)


if __name__ == "__main__":
    main()
