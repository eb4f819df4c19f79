"""`g6 backfill`: whole synthetic trading days and their weekday master, for demos and history."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any

from g6_pipeline.settings import load_settings
from g6_pipeline.util.logs import configure_logging


def register(commands: Any) -> None:
    """Add `g6 backfill`."""
    parser = commands.add_parser("backfill", help="generate whole synthetic trading days and the weekday master")
    parser.add_argument("--provider", choices=["synthetic"], default="synthetic",
                        help="only the synthetic market can produce past days")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--index", action="append", help="limit to these indices (repeatable)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Backfill and print a short summary."""
    from g6_pipeline.collection.backfill import backfill_synthetic
    from g6_pipeline.collection.components import ProcessSetup
    if args.end < args.start:
        print("g6 backfill: --end is before --start", file=sys.stderr)
        return 2
    loaded = load_settings()
    configure_logging(loaded.settings.log_level, loaded.settings.secret_values())
    started = time.perf_counter()
    report = backfill_synthetic(ProcessSetup.load(loaded), args.start, args.end, args.index)
    print(f"backfilled {len(report.days)} trading days, {report.rows:,} option rows in "
          f"{time.perf_counter() - started:.1f} s")
    for index, summary in report.weekday_master.items():
        print(f"  weekday master {index}: {summary}")
    return 0
