"""`g6 repair --day D [--index I]`: refill a day's missing minutes from Kite's historical minute candles."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from g6_pipeline.core.clock import now_ist
from g6_pipeline.settings import load_settings
from g6_pipeline.util.logs import configure_logging

if TYPE_CHECKING:
    from g6_pipeline.history.repair import RepairReport


def register(commands: Any) -> None:
    """Add `g6 repair`."""
    parser = commands.add_parser("repair", help="refill a day's missing minutes from Kite's historical candles")
    parser.add_argument("--day", required=True, help="trading day, YYYY-MM-DD (today or earlier)")
    parser.add_argument("--index", action="append", help="limit to these indices (repeatable)")
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"g6 repair: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the repair ran (gaps left are listed with their reason), 1 when Kite stopped it, 2 on bad input."""
    from g6_pipeline.history.gaps import repair_with_kite
    from g6_pipeline.process.setup import ProcessSetup
    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        return _fail(f"--day {args.day!r} is not a date (YYYY-MM-DD)")
    loaded = load_settings()
    settings = loaded.settings
    configure_logging(settings.log_level, settings.secret_values())
    if settings.provider != "kite":
        return _fail(f"repair reads Kite's historical candles; the configured provider is {settings.provider!r}")
    unknown = [n for n in args.index or [] if n not in settings.enabled_indices]
    if unknown:
        return _fail(f"unknown or disabled index {unknown[0]!r} (enabled: {', '.join(settings.enabled_indices)})")
    now = now_ist()
    if day > now.date():
        return _fail(f"{day.isoformat()} is in the future")
    setup = ProcessSetup.load(loaded)
    if not setup.calendar.is_trading_day(day):
        return _fail(f"{day.isoformat()} is not a trading day")
    report = repair_with_kite(setup, day, args.index, now=now)
    print(render(report))
    if report.stopped:
        print(f"g6 repair: stopped: {report.stopped}", file=sys.stderr)
        return 1
    return 0


def render(report: RepairReport) -> str:
    """Per index: minutes expected / present / repaired / still missing, then the gaps by reason."""
    from g6_pipeline.history.gaps import minute_span
    lines = [f"quarantined {q}" for q in report.quarantined]
    for name, result in report.indices.items():
        lines.append(
            f"{name} {report.day.isoformat()}: {result.expected} minutes expected, {result.present} present, "
            f"{len(result.repaired)} repaired, {len(result.missing)} still missing ({result.calls} historical calls)"
        )
        for reason, minutes in result.reasons().items():
            lines.append(f"  missing {minute_span(minutes)} ({len(minutes)}): {reason}")
    return "\n".join(lines)
