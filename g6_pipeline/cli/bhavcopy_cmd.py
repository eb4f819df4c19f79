"""`g6 import-bhavcopy FILE|DIR`: the exchanges' F&O bhavcopy as close-of-day history in the data directory.

Each (day, index) of the files becomes one closing minute (15:29 IST) on the collected schema with
`source = bhavcopy`, priced from the settlement prices, its IV rank read against the stored sessions before
it, written and sealed like a collected day (`history.imports`). A (day, index) holding collected data in any
store (Parquet, classic CSV, the Influx spool) is never overwritten: one already imported is left alone (a
second run changes nothing), one holding collected data is refused, one holding only simulated data is kept
unless `--replace-simulated` is given. Ctrl-C or SIGTERM stops it after the day it is writing.
`--fetch --start D --end D` first downloads the days from the exchanges' archives into DIR (a day without a
file is reported, not an error). What was imported is recorded in the Dagster instance (`DAGSTER_HOME`, else
the project's `.dagster_home`): the days as partitions of the daily assets with their check results, each
file as a partition of `bhavcopy_file` with its own checks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from g6_pipeline.cli.instance import record_in_instance
from g6_pipeline.cli.progress import progress_lines
from g6_pipeline.providers.bhavcopy import BhavcopyError, bhavcopy_files
from g6_pipeline.providers.bhavcopy.fetch import ARCHIVE_URLS, EXCHANGE_ARCHIVES, fetch_days, weekdays
from g6_pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    from g6_pipeline.history.imports import ImportReport
    from g6_pipeline.process.setup import ProcessSetup


def register(commands: Any) -> None:
    """Add `g6 import-bhavcopy`."""
    parser = commands.add_parser(
        "import-bhavcopy",
        help="import the exchanges' F&O bhavcopy (UDiFF) as close-of-day history",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("path", metavar="FILE|DIR", type=Path,
                        help="a bhavcopy (zipped or not) or a folder of archive-named ones (with --fetch: the folder "
                             "the days are downloaded into)")
    parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    parser.add_argument("--index", action="append", help="limit to these indices (repeatable; default: the enabled ones)")
    parser.add_argument("--all-strikes", action="store_true",
                        help="keep every listed strike (default: each index's configured strike window)")
    parser.add_argument("--replace-simulated", action="store_true",
                        help="replace days that hold only simulated data (collected data is never touched)")
    parser.add_argument("--fetch", action="store_true", help="download the days from the archives first")
    parser.add_argument("--base-url", action="append", default=[], metavar="EXCHANGE=URL",
                        help=f"archive folder of NSE or BSE (default: {ARCHIVE_URLS['NSE']}, {ARCHIVE_URLS['BSE']})")
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (default: the configured one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Fetch (when asked), import, print one line per (day, index) not imported and a summary, record it."""
    from g6_pipeline.core.calendar import MarketCalendar
    from g6_pipeline.history.imports import import_files
    from g6_pipeline.process.setup import ProcessSetup
    from g6_pipeline.storage.opening import open_location

    loaded = load_settings()
    settings = loaded.settings
    names = list(args.index or settings.enabled_indices)
    problem = _check_arguments(args, settings, names)
    if problem:
        print(f"g6 import-bhavcopy: {problem}", file=sys.stderr)
        return 2
    code = _fetch(args, settings, names) if args.fetch else 0
    try:
        files = bhavcopy_files(args.path, args.start, args.end)
    except BhavcopyError as exc:
        print(f"g6 import-bhavcopy: {exc}", file=sys.stderr)
        return 2
    setup = ProcessSetup(loaded, MarketCalendar.load(loaded.config_dir), open_location(args.data_dir or settings.data_dir))
    with progress_lines(len(files), "import-bhavcopy", "files") as advance:
        report = import_files(setup, files, names, args.start, args.end, all_strikes=args.all_strikes,
                              replace_simulated=args.replace_simulated, progress=advance)
    return _print_report(report, len(files), code, setup)


def _print_report(report: ImportReport, files: int, code: int, setup: ProcessSetup) -> int:
    """The files refused, the (day, index) not imported, a summary and where it was recorded; the exit code."""
    for each in report.files:
        if each.error is not None:
            print(f"g6 import-bhavcopy: {each.error}", file=sys.stderr)
        elif each.missing:
            print(f"  {each.path.name}: lacks {', '.join(each.missing)}")
    for outcome in report.outcomes:
        if outcome.outcome in ("refused", "failed"):
            print(f"g6 import-bhavcopy: {outcome.line()}", file=sys.stderr)
        elif outcome.outcome not in ("imported", "replaced"):
            print(f"  {outcome.line()}")
    kinds = dict.fromkeys(o.outcome for o in report.outcomes)
    summary = ", ".join(f"{sum(1 for o in report.outcomes if o.outcome == k)} {k}" for k in kinds) or "nothing to import"
    print(f"{files} files, {report.rows:,} option rows written; day×index: {summary}")
    print(record_import(report, setup))
    bad = any(o.outcome in ("refused", "failed") for o in report.outcomes) or any(f.error for f in report.files)
    return 1 if bad else code


def record_import(report: ImportReport, setup: ProcessSetup) -> str:
    """Record in the Dagster instance what the import sealed and read, as the assets would have: each sealed
    (day, index) with its materializations and day checks, each file as a `bhavcopy_file` partition with its
    checks. Returns a line saying where."""
    from g6_pipeline.defs.history.assets import sealed_day_events
    from g6_pipeline.defs.reference.bhavcopy import BHAVCOPY_DAYS_NAME, bhavcopy_file_events

    sealed = [o.sealed for o in report.outcomes if o.sealed is not None]
    events = [e for day in sealed for e in sealed_day_events(day, setup, written_by="g6 import-bhavcopy")]
    recorded = [f for f in report.files if f.day is not None and f.exchange]
    events += [e for f in recorded for e in bhavcopy_file_events(f)]
    days = sorted({f.day.isoformat() for f in recorded if f.day is not None})
    return record_in_instance(setup.loaded, [(d.day, d.index) for d in sealed], events, {BHAVCOPY_DAYS_NAME: days})


def _check_arguments(args: argparse.Namespace, settings: Settings, names: Sequence[str]) -> str | None:
    """The one-line reason the arguments cannot be run, or None."""
    unknown = [n for n in names if n not in settings.indices]
    if unknown:
        return f"unknown index {', '.join(unknown)} (configured: {', '.join(settings.indices)})"
    if args.start and args.end and args.end < args.start:
        return "--end is before --start"
    if args.fetch and not (args.start and args.end):
        return "--fetch needs --start and --end"
    for item in args.base_url:
        exchange, _, url = item.partition("=")
        if exchange not in ARCHIVE_URLS or not url:
            return f"--base-url {item!r}: want NSE=URL or BSE=URL"
    if not args.fetch and not args.path.exists():
        return f"{args.path}: no such file or folder"
    return None


def _fetch(args: argparse.Namespace, settings: Settings, names: Sequence[str]) -> int:
    """Download the range's bhavcopies of the exchanges listing `names`; 1 when a day failed."""
    exchanges = sorted({EXCHANGE_ARCHIVES[settings.indices[n].exchange] for n in names})
    urls = dict(item.split("=", 1) for item in args.base_url)
    args.path.mkdir(parents=True, exist_ok=True)
    results = fetch_days(weekdays(args.start, args.end), exchanges, args.path, urls,
                         progress=lambda r: print(r.line(), flush=True))
    return 1 if any(r.status == "failed" for r in results) else 0
