"""`g6 chain`: one expiry's option chain at one stored minute, NSE-style, in the terminal.

Calls on the left, strike in the middle, puts mirrored on the right, fitted to the terminal's width
(`live.chain_text`: narrow terminals leave out bid/ask, then delta, then volume; OI, change in OI, IV, LTP
and the strike always stay). On a terminal the table is coloured (in-the-money side shaded, ATM row marked,
OI change green/red by sign); otherwise it is plain text, as wide as `COLUMNS` when that is set and with
every column when it is not. `--watch` re-reads the latest minute. `--oi-change 15m` shows the change in OI
over the last 15 minutes (`open`: since the day's first stored minute; default: since the previous close).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live

from g6_pipeline.core.underlyings import closest, kind_of
from g6_pipeline.live.chain_text import (
    COLUMN_KEYS,
    DROP_ORDER,
    ESSENTIAL,
    parse_columns,
    plain_text,
    rich_chain,
)
from g6_pipeline.live.chain_view import ChainViewError, chain_view, load_day, parse_day, parse_minute, select
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.oi_views import interval_of, with_oi_interval
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _interval(text: str) -> int | str:
    try:
        return interval_of(text)
    except ChainViewError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _columns(text: str) -> tuple[str, ...]:
    try:
        return parse_columns(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(commands: Any) -> None:
    """Add `g6 chain` to the parser."""
    dropped = ", then ".join("/".join(group) for group in DROP_ORDER)
    parser = commands.add_parser(
        "chain",
        help="show an underlying's option chain at a stored minute",
        description="The option chain of one expiry from the stored data (the latest stored minute by default), "
        f"fitted to the terminal: a narrow one leaves out {dropped}; {', '.join(ESSENTIAL)} and the strike "
        "always stay.",
    )
    parser.add_argument("index", help="any stored underlying: NIFTY, MIDCPNIFTY, BANKEX, RELIANCE, …")
    parser.add_argument("--expiry", metavar="TAG", help="this_week, next_week, this_month or next_month "
                        "(default: the nearest stored)")  # fmt: skip
    parser.add_argument("--at", metavar="HH:MM", help="a stored minute (default: the latest)")
    parser.add_argument("--day", metavar="YYYY-MM-DD", help="a stored day (default: the latest)")
    parser.add_argument("--strikes", type=_positive_int, metavar="N", help="N strikes each side of ATM (default all)")
    parser.add_argument("--columns", type=_columns, metavar="LIST",
                        help=f"columns per side, comma-separated from {','.join(COLUMN_KEYS)}, or all "
                        "(default: as many as the terminal's width holds)")  # fmt: skip
    parser.add_argument("--oi-change", type=_interval, metavar="INTERVAL", default="close",
                        help="what Chng OI is measured over: close (since the previous close, the default), open "
                             "(since the day's first stored minute), or minutes such as 1m, 5m, 15m, 30m")
    parser.add_argument("--quantities", choices=["contracts", "units"],
                        help="OI and volume in contracts (lots) or units (default: display.quantities)")
    parser.add_argument("--watch", action="store_true", help="keep showing the latest minute as it is stored")
    parser.add_argument("--refresh", type=float, default=5.0, metavar="SECONDS",
                        help="seconds between re-reads with --watch (default 5)")  # fmt: skip
    parser.set_defaults(handler=run)


def terminal_width(rich: bool) -> int | None:
    """The width to fit: `COLUMNS` when set, else the terminal's; None (no limit) for output that is not a terminal."""
    given = os.environ.get("COLUMNS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    if not rich:
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return None


def _view(args: argparse.Namespace, location: DataLocation) -> dict[str, Any]:
    stored = load_day(args.index, parse_day(args.day), location)
    sel = select(stored, args.expiry, parse_minute(args.at))
    return with_oi_interval(chain_view(sel, args.strikes), sel, args.oi_change)


def _watch(args: argparse.Namespace, location: DataLocation, fmt: NumberFormat, rich: bool) -> int:
    if rich:
        console = Console()
        with Live(rich_chain(_view(args, location), fmt, terminal_width(rich), args.columns), console=console,
                  auto_refresh=False) as live:  # fmt: skip
            while True:
                time.sleep(args.refresh)
                live.update(rich_chain(_view(args, location), fmt, terminal_width(rich), args.columns), refresh=True)
    shown = None
    while True:
        view = _view(args, location)
        if view["timestamp"] != shown:
            print(plain_text(view, fmt, terminal_width(rich), args.columns) + "\n", flush=True)
            shown = view["timestamp"]
        time.sleep(args.refresh)


def run(args: argparse.Namespace) -> int:
    """Show the chain once (or with --watch until SIGINT or SIGTERM stops it, exit 130 or 143: `cli.main`); 2 with a
    one-line error when it cannot."""
    settings = load_settings().settings
    if args.quantities:
        settings.display.quantities = args.quantities
    fmt = NumberFormat.from_settings(settings)
    args.index = args.index.strip().upper()
    if args.index not in settings.indices and kind_of(args.index) is None:
        hint = ", ".join(closest(args.index))
        print(f"g6 chain: unknown underlying {args.index!r}" + (f"; closest: {hint}" if hint else ""), file=sys.stderr)
        return 2
    if args.watch and args.at:
        print("g6 chain: --watch follows the latest minute; leave out --at", file=sys.stderr)
        return 2
    rich = sys.stdout.isatty()
    location = DataLocation(settings.data_dir)
    try:
        if args.watch:
            return _watch(args, location, fmt, rich)
        view = _view(args, location)
    except ChainViewError as exc:
        print(f"g6 chain: {exc}", file=sys.stderr)
        return 2
    width = terminal_width(rich)
    if rich:
        Console(width=width or None, highlight=False).print(rich_chain(view, fmt, width, args.columns))
    else:
        print(plain_text(view, fmt, width, args.columns))
    return 0
