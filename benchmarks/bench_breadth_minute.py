"""Benchmark: one minute of every optionable underlying through the real `kiteconnect` client.

The seven indices (NIFTY, BANKNIFTY, FINNIFTY, SENSEX with their default windows; MIDCPNIFTY, NIFTYNXT50,
BANKEX) and every F&O stock's near-month chain (`kinds.stock.expiry_tags = ["this_month"]`) are collected for
one session minute from the loopback Kite server (`g6_pipeline_tests/fakes/kite_server.py`, serving the
simulated market, every stock's price and options included), at ±5, ±10 and ±20 strikes for the stocks. The
Kite source keeps to Kite's 1 quote request a second, as in production. For each width:

- **budget**: the calls `g6 config check` predicts from the same dumps;
- **calls**: the `/quote` requests the minute made (the server counts them), and the instruments they asked;
- **seconds**: the minute's collection cycle, fetch to files written and status published (the day's dumps
  already loaded: a minute process reads them from the instrument cache, timed separately as "dump load");
- **rows**: option rows stored for the minute;
- **spread**: seconds from the minute's first `/quote` request to its last, as the server saw them — how far
  apart in time the quotes of one stored minute are.

The baseline in the same run is the default configuration (the four indices).

    .venv/bin/python benchmarks/bench_breadth_minute.py [--widths 5,10,20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from g6_pipeline.collection.collector import Collector  # noqa: E402
from g6_pipeline.collection.cycle import run_cycle  # noqa: E402
from g6_pipeline.core.calendar import MarketCalendar  # noqa: E402
from g6_pipeline.core.clock import IST  # noqa: E402
from g6_pipeline.instruments import InstrumentCache, dump_day  # noqa: E402
from g6_pipeline.process.setup import instrument_cache_dir  # noqa: E402
from g6_pipeline.providers.budget import cached, estimate  # noqa: E402
from g6_pipeline.providers.sources import SyntheticSource  # noqa: E402
from g6_pipeline.providers.synthetic import SyntheticMarket  # noqa: E402
from g6_pipeline.settings import load_settings  # noqa: E402
from g6_pipeline_tests.fakes.kite_config import write_kite_config  # noqa: E402
from g6_pipeline_tests.fakes.kite_server import KiteServerHandle, kite_server  # noqa: E402

MINUTE = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
"""A Wednesday session minute (the warm-up collects the minute before)."""


def configure(root: Path, server: KiteServerHandle, stocks: int | None) -> Path:
    """A kite configuration through `server`: the four indices (`stocks` None), or the seven indices and every
    F&O stock's near month at ±`stocks` strikes. Kite's quote rate (1 request/s) is kept."""
    config = write_kite_config(root, server.url)
    (config / "indices_config.json").unlink()
    platform = json.loads((config / "platform_config.json").read_text())
    platform["kite"]["requests_per_second"] = 1.0
    platform["kite"]["timeout_seconds"] = 30
    if stocks is not None:
        platform["underlyings"] = ["indices", "fo_stocks"]
        platform["kinds"] = {"stock": {"expiry_tags": ["this_month"], "strikes_below": stocks,
                                       "strikes_above": stocks}}
    (config / "platform_config.json").write_text(json.dumps(platform))
    return config


def one_minute(root: Path, market: SyntheticMarket, label: str, stocks: int | None) -> dict[str, Any]:
    """Collect a warm-up minute and then the measured one; the measured minute's figures."""
    clock = {"now": MINUTE - timedelta(minutes=1)}
    with kite_server(market, clock=lambda: clock["now"]) as server:
        config = configure(root / label, server, stocks)
        settings = load_settings(config, environ={}).settings
        budget = estimate(settings, cached(SyntheticSource(market).instruments), MINUTE)
        collector = Collector.from_settings(load_settings(config, environ={}))
        collector.publishers = []
        clock["now"] = MINUTE - timedelta(minutes=1) + timedelta(seconds=3)
        run_cycle(collector, clock["now"])  # downloads and caches the dumps
        cache = InstrumentCache(instrument_cache_dir(collector.location))
        started = time.perf_counter()
        for exchange in {ix.exchange for ix in settings.enabled_indices.values()}:
            cache.load(exchange, dump_day(MINUTE))
        dump_load = time.perf_counter() - started
        first = len(server.requests)
        clock["now"] = MINUTE + timedelta(seconds=3)
        started = time.perf_counter()
        report = run_cycle(collector, clock["now"])
        seconds = time.perf_counter() - started
        quotes = [(t, p) for t, _, p in server.requests[first:] if p.startswith("/quote")]
    instruments = sum(len(parse_qs(urlsplit(p).query).get("i", [])) for _, p in quotes)
    rows = next((s.rows for s in report.sinks if s.sink == "parquet"), 0)
    statuses = [o.status for o in report.indices.values()]
    return {
        "label": label, "underlyings": len(statuses), "ok": statuses.count("ok"), "budget": budget.calls,
        "calls": len(quotes), "instruments": instruments, "seconds": seconds, "rows": rows,
        "spread": quotes[-1][0] - quotes[0][0] if quotes else 0.0, "dump load": dump_load,
        "skipped": statuses.count("skipped"),
    }


def main() -> None:
    """Run the baseline and each width; print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="5,10,20", help="stock strikes each side to measure")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    load = os.getloadavg()[0]
    market = SyntheticMarket(6, MarketCalendar.load(REPO / "config"))
    results = []
    with tempfile.TemporaryDirectory(prefix="g6-bench-breadth-") as tmp:
        results.append(one_minute(Path(tmp), market, "4 indices (default)", None))
        for width in widths:
            results.append(one_minute(Path(tmp), market, f"7 indices + F&O stocks ±{width}", width))
            print(results[-1], flush=True)
    print(f"\nload average at start {load:.1f}, {os.cpu_count()} cores; Kite's rate 1 quote request/s; seconds")
    print("| minute | underlyings (ok) | budget calls | calls | instruments | cycle s | rows stored | "
          "first→last quote s | dump load s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['underlyings']} ({r['ok']}) | {r['budget']} | {r['calls']} | "
              f"{r['instruments']:,} | {r['seconds']:.1f} | {r['rows']:,} | {r['spread']:.1f} | {r['dump load']:.1f} |")


if __name__ == "__main__":
    main()
