"""`g6 summary`: the terminal view of the live status and panels."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
from typing import Any

from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.summary import SummaryStyle, run_summary
from g6_pipeline.live.view_state import SORTS, Selection
from g6_pipeline.settings import load_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def register(commands: Any) -> None:
    """Add `g6 summary` to the parser."""
    parser = commands.add_parser(
        "summary",
        help="show underlyings, analytics, alerts, storage and health in the terminal",
        description="Read runtime_status.json and the panel files under the data folder and show them, one page "
        "of underlyings at a time (problems first; --sort, --match, --page). With --once, print one view and exit "
        "0 when the data is live, 1 when it is stale or absent.",
    )
    parser.add_argument("--refresh", type=_positive, default=1.0, metavar="SECONDS",
                        help="seconds between refreshes (default 1)")
    parser.add_argument("--no-rich", action="store_true",
                        help="plain text, a new block whenever the status changes (for logs and dumb terminals)")
    parser.add_argument("--once", action="store_true", help="print one view and exit")
    parser.add_argument("--sort", choices=SORTS, default="status",
                        help="order of the underlyings: status (problems first, the default), priority (as "
                        "collected), name, or pcr, iv, change (highest first)")
    parser.add_argument("--match", default="", metavar="TEXT",
                        help="only underlyings whose name contains TEXT (any case), or whose status is TEXT")
    parser.add_argument("--page", type=_page, default=1, metavar="N", help="which page of underlyings (default 1)")
    parser.add_argument("--rows", type=_page, default=None, metavar="N",
                        help="underlyings a page (default: 20, or what the terminal's height holds)")
    parser.set_defaults(handler=run)


def _page(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def page_rows(given: int | None, rich: bool) -> int:
    """Underlyings a page: as given, else what the terminal's height holds beside the other panels (two tables
    list them), else 20."""
    if given is not None:
        return given
    if rich:
        try:
            return max((shutil.get_terminal_size().lines - 26) // 2, 5)
        except OSError:
            return 20
    return 20


def run(args: argparse.Namespace) -> int:
    """Run the summary until interrupted (or once)."""
    settings = load_settings().settings
    rich = not args.no_rich and sys.stdout.isatty()
    # Ctrl-C and SIGTERM end it cleanly, even where SIGINT was inherited as ignored (`cmd &`, nohup)
    previous = {signum: signal.signal(signum, signal.default_int_handler) for signum in STOP_SIGNALS}
    try:
        return run_summary(
            settings.data_dir,
            stale_after=settings.alerts.stale_after_seconds,
            refresh=args.refresh,
            rich=rich,
            once=args.once,
            style=SummaryStyle(NumberFormat.from_settings(settings), settings.provider in SIMULATED_SOURCES,
                               Selection(args.sort, args.match, args.page, page_rows(args.rows, rich))),
        )
    except KeyboardInterrupt:
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
