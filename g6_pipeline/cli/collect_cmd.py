"""`g6 collect --once`: one collection cycle outside Dagster, through the same steps as the pipeline."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from g6_pipeline.core.clock import now_ist
from g6_pipeline.core.report import CycleReport
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.settings import load_settings
from g6_pipeline.util.logs import configure_logging


def register(commands: Any) -> None:
    """Add `g6 collect`."""
    parser = commands.add_parser("collect", help="run one collection cycle now (fetch → analytics → write)")
    parser.add_argument("--once", action="store_true", required=True, help="run exactly one cycle and exit")
    parser.add_argument("--provider", choices=["kite", "synthetic", "mock"], help="override the configured provider")
    parser.add_argument("--ignore-market-hours", action="store_true", help="collect even when the market is closed")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every index was collected in full and every sink wrote; 1 when an index failed or was
    degraded, a sink failed, or the gate refused the minute (market closed, no token); 2 when the token file
    cannot be read (one line naming the file).

    The cycle collects the minute in which it fetches: the current one while its fetch can make the late-run
    grace, else the next one, whose first instant it waits for. Its live status and panels are written only
    while no pipeline run keeps them (`live.status.manual_may_publish`)."""
    from g6_pipeline.collection.collector import Collector
    from g6_pipeline.collection.cycle import run_cycle
    from g6_pipeline.collection.gate import decide_minute
    from g6_pipeline.collection.timing import instant_to_collect
    from g6_pipeline.process.setup import ProcessSetup
    loaded = load_settings()
    settings = loaded.settings
    if args.provider:
        settings.provider = args.provider
    if args.ignore_market_hours:
        settings.collection.market_hours_gate = False
    configure_logging(settings.log_level, settings.secret_values())
    setup = ProcessSetup.load(loaded)
    collector = Collector.from_setup(setup, manual=True)
    now = now_ist()
    at = instant_to_collect(now, settings.collection.late_grace_seconds)
    decision = decide_minute(at, settings, setup.calendar)
    if not decision.collect:
        hint = " (use --ignore-market-hours to collect anyway)" if decision.cause == "market_closed" else ""
        print(f"g6 collect: {decision.reason}{hint}", file=sys.stderr)
        return 2 if decision.cause == "token_file" else 1
    if at > now:
        print(f"g6 collect: {now:%H:%M:%S} is too late for minute {now:%H:%M}; collecting {at:%H:%M} at its start",
              file=sys.stderr)
    report = run_cycle(collector, at)
    print(render_report(report, NumberFormat.from_settings(settings)))
    note = setup.calendar.provisional_note(decision.minute.date())
    if note:
        print(f"g6 collect: warning: {note}", file=sys.stderr)
    if report.error or report.exchange_closed:
        print(f"g6 collect: {report.error or report.exchange_closed}", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def render_report(report: CycleReport, fmt: NumberFormat | None = None) -> str:
    """A one-screen summary per index: legs collected/missing, ATM, PCR, ATM IV (numbers in `fmt`'s style)."""
    fmt = fmt or NumberFormat()
    lines = [
        f"G6 collect {report.minute:%Y-%m-%d %H:%M} IST  provider={report.provider}  "
        f"{report.duration_seconds * 1000:.0f} ms",
        f"{'index':<10} {'status':<8} {'legs':>6} {'missing':>7} {'spot':>12} {'atm':>10} {'pcr':>6} {'atm iv':>8}",
    ]
    for name, outcome in report.indices.items():
        ov = outcome.chain.overview if outcome.chain is not None else {}
        tag = next((t for t in ("this_week", "this_month") if ov.get(f"atm_{t}") is not None
                    and not math.isnan(ov.get(f"atm_{t}", math.nan))), "this_month")
        lines.append(
            f"{name:<10} {outcome.status:<8} {outcome.legs_collected:>6} {outcome.legs_missing:>7} "
            f"{fmt.number(ov.get('index_price')):>12} {fmt.number(ov.get(f'atm_{tag}'), 0):>10} "
            f"{fmt.number(ov.get(f'pcr_{tag}')):>6} {fmt.percent(ov.get(f'atm_iv_{tag}')):>8}"
            + (f"  {outcome.error}" if outcome.error else "")
        )
    for sink in report.sinks:
        lines.append(f"sink {sink.sink}: " + (f"FAILED {sink.error}" if sink.error else f"{sink.rows} rows"))
    return "\n".join(lines)
