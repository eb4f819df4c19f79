"""One collection cycle outside Dagster, and a synthetic backfill, against named baselines in the same run.

    .venv/bin/python benchmarks/bench_cycle.py [--cycles 10] [--days 20]

Cycle: the synthetic provider, 4 indices × every expiry tag their contracts have × ATM ± 20 strikes × CE/PE,
through the same steps as the Dagster job (fetch → analytics → Parquet + classic CSV → status). The goal
is under 250 ms. Baseline: the same cycle's analytics with the original G6's IV method (a scalar
Newton-Raphson from σ = 0.3 per option, tolerance 1e-5 on price), timed on the same legs.

Backfill: `g6 backfill` of N synthetic trading days for all indices, weekday master included; the goal for
20 days is under 60 s on 2 cores. Baseline: the same days collected the way a live session would be, one
cycle per minute (timed on one day and scaled).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from scipy.stats import norm

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import analytics_step, build_report, fetch_step, publish_step, write_step
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import load_settings

REPO = Path(__file__).parents[1]
ALL_TAGS = ["this_week", "next_week", "this_month", "next_month"]


def make_config(folder: Path, strikes: int) -> Path:
    """A configuration with ±`strikes` strikes and every expiry tag for every index."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "holidays.json").write_text((REPO / "config" / "holidays.json").read_text())
    platform = {"data_dir": str(folder.parent / "data"), "collection": {"late_grace_seconds": None}}  # replayed minutes
    (folder / "platform_config.json").write_text(json.dumps(platform))
    defaults = json.loads((REPO / "config" / "indices_config.json").read_text())
    for spec in defaults.values():
        spec.update(strikes_below=strikes, strikes_above=strikes, expiry_tags=ALL_TAGS)
    (folder / "indices_config.json").write_text(json.dumps(defaults))
    return folder


def newton_iv_scalar(price: float, spot: float, strike: float, t: float, rate: float, call: bool) -> float:
    """The original G6's IV: Newton-Raphson from 0.3, tolerance 1e-5 on price, 100 iterations, clamped."""
    sigma = 0.3
    for _ in range(100):
        d1 = (math.log(spot / strike) + (rate + 0.5 * sigma * sigma) * t) / (sigma * math.sqrt(t))
        d2 = d1 - sigma * math.sqrt(t)
        if call:
            model = spot * norm.cdf(d1) - strike * math.exp(-rate * t) * norm.cdf(d2)
        else:
            model = strike * math.exp(-rate * t) * norm.cdf(-d2) - spot * norm.cdf(-d1)
        diff = model - price
        if abs(diff) < 1e-5:
            break
        vega = spot * norm.pdf(d1) * math.sqrt(t)
        if vega < 1e-8:
            break
        sigma = min(max(sigma - diff / vega, 0.01), 5.0)
    return sigma


def bench_cycle(root: Path, cycles: int) -> None:
    config = make_config(root / "config", strikes=20)
    loaded = load_settings(config)
    collector = Collector.from_settings(loaded)
    start = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
    stages: dict[str, list[float]] = {k: [] for k in ("fetch", "analytics", "write", "publish", "total")}
    legs = 0
    for k in range(cycles + 1):  # the first cycle warms caches (instrument dump) and is not counted
        t0 = time.perf_counter()
        state = fetch_step(collector, start + timedelta(minutes=k))
        t1 = time.perf_counter()
        state = analytics_step(collector, state)
        t2 = time.perf_counter()
        state = write_step(collector, state)
        t3 = time.perf_counter()
        publish_step(collector, build_report(state))
        t4 = time.perf_counter()
        if k == 0:
            continue
        legs = sum(len(s.legs) for s in state.snapshots.values())
        for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            stages[name].append(value)
    print(f"cycle: {legs} legs a minute ({len(state.snapshots)} indices), median of {cycles} cycles")
    for name, values in stages.items():
        print(f"  {name:<10} {statistics.median(values) * 1000:8.1f} ms")
    total = statistics.median(stages["total"])
    print(f"  goal 250 ms: {'met' if total < 0.25 else 'MISSED'} ({total / 0.25:.2f} of the budget)")

    options = [c.options for c in state.chains.values()]
    rows = [(r.last_price, r.index_price, r.strike, r.t_years, r.side == "CE")
            for frame in options for r in frame.itertuples() if r.t_years > 0 and r.last_price > 0]
    t0 = time.perf_counter()
    for price, spot, strike, t, call in rows:
        newton_iv_scalar(price, spot, strike, t, loaded.settings.analytics.risk_free_rate, call)
    baseline = time.perf_counter() - t0
    ours = statistics.median(stages["analytics"])
    print(f"  baseline (original scalar Newton IV on the same {len(rows)} legs): {baseline * 1000:.1f} ms; "
          f"G6 analytics stage is {baseline / ours:.1f}x faster")


def bench_backfill(root: Path, days: int) -> None:
    config = make_config(root / "config-backfill", strikes=10)
    raw = json.loads((REPO / "config" / "indices_config.json").read_text())
    (config / "indices_config.json").write_text(json.dumps(raw))  # the shipped index set
    loaded = load_settings(config)
    calendar = MarketCalendar.load(config)
    end = date(2026, 11, 20)
    trading = [d for d in calendar.trading_days(end - timedelta(days=60), end)][-days:]
    t0 = time.perf_counter()
    report = backfill_synthetic(ProcessSetup.load(loaded), trading[0], trading[-1])
    elapsed = time.perf_counter() - t0
    print(f"backfill: {len(report.days)} trading days × {len(loaded.settings.enabled_indices)} indices, "
          f"{report.rows:,} option rows, weekday master included: {elapsed:.1f} s")
    print(f"  goal 60 s for 20 days: {'met' if elapsed * 20 / len(report.days) < 60 else 'MISSED'}")

    per_minute = Collector.from_settings(load_settings(make_config(root / "config-live", strikes=10)))
    minutes = calendar.session_minutes(trading[0])
    sample = minutes[:30]
    t0 = time.perf_counter()
    for minute in sample:
        write_step(per_minute, analytics_step(per_minute, fetch_step(per_minute, minute)))
    one_minute = (time.perf_counter() - t0) / len(sample)
    baseline = one_minute * len(minutes) * len(report.days)
    print(f"  baseline (one cycle per minute, {one_minute * 1000:.0f} ms × {len(minutes)} minutes × "
          f"{len(report.days)} days, before the weekday master): {baseline:.0f} s; backfill is "
          f"{baseline / elapsed:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="g6-bench-") as tmp:
        bench_cycle(Path(tmp), args.cycles)
        bench_backfill(Path(tmp), args.days)


if __name__ == "__main__":
    main()
