"""`g6 calendar import FILE`: add the holidays an exchange publishes to the configuration folder's holiday file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from g6_pipeline.core.calendar import HOLIDAYS_FILE, MarketCalendar, holidays_path
from g6_pipeline.core.holiday_import import (
    DEFAULT_SEGMENT,
    HolidayImportError,
    merge_holidays,
    read_holiday_list,
)
from g6_pipeline.settings.loader import config_dir_from_env

EXIT_REFUSED = 2
"""The holiday list was refused (malformed, unreadable) or the configuration folder is missing: nothing written."""


def register(commands: Any) -> None:
    """Add `g6 calendar import`."""
    parser = commands.add_parser("calendar", help="maintain the market holiday file")
    sub = parser.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import",
        help="merge an exchange's published holiday list into the configuration folder's holidays.json",
        description="Read NSE's holiday master JSON as its website serves it (/api/holiday-master?type=trading: "
        "segments such as FO and CM, entries with tradingDate like 26-Jan-2027, weekDay and description) or a "
        "plain date,description CSV, and merge its weekdays into <config folder>/holidays.json (created from the "
        "packaged file when the folder has none). Dates already listed take the imported name; nothing is "
        "removed. A malformed line refuses the whole file, naming the line, and writes nothing (exit 2).",
    )
    imp.add_argument("file", metavar="FILE", type=Path, help="NSE's holiday master JSON, or a date,description CSV")
    imp.add_argument("--segment", default=DEFAULT_SEGMENT,
                     help=f"segment of NSE's JSON to take (default {DEFAULT_SEGMENT}, equity derivatives)")
    imp.add_argument("--config-dir", metavar="DIR", type=Path,
                     help="configuration folder (default: G6_CONFIG_DIR, else ./config)")
    imp.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Import, print what changed and the coverage; exit 2 (`EXIT_REFUSED`) with one line when refused."""
    folder: Path = args.config_dir or config_dir_from_env()
    if not folder.is_dir():
        print(f"g6 calendar import: {folder}: configuration folder not found (give --config-dir)", file=sys.stderr)
        return EXIT_REFUSED
    try:
        holidays = read_holiday_list(args.file, args.segment)
    except HolidayImportError as exc:
        print(f"g6 calendar import: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    is_json = args.file.read_bytes().lstrip().startswith(b"{")
    result = merge_holidays(holidays_path(folder), folder / HOLIDAYS_FILE, holidays, args.file.name,
                            args.segment if is_json else None)
    calendar = MarketCalendar.load(folder)
    years = ", ".join(str(y) for y in result.years) or "none"
    print(
        f"{result.path}: {len(holidays)} holidays read from {args.file.name} (years {years}): "
        f"{len(result.added)} added, {len(result.renamed)} renamed, {result.unchanged} already listed, "
        f"{result.weekends} on a weekend skipped; the calendar covers up to {calendar.covered_until}"
    )
    return 0
