"""`g6 import-bhavcopy FILE|DIR`: the exchanges' F&O bhavcopy as close-of-day history in the data directory.

Each (day, index) of the files becomes one closing minute (15:29 IST) on the collected schema with
`source = bhavcopy`, priced from the settlement prices (`analytics.close_of_day`), its IV rank read against
the stored sessions before it, and written as that day's sealed Parquet files (and classic CSV when enabled).
A (day, index) holding any stored data whose source is not simulated is never overwritten: one already
imported is left alone (a second run changes nothing), one holding collected data is refused, one holding
only simulated data is kept unless `--replace-simulated` is given. `--fetch --start D --end D` first
downloads the days from the exchanges' archives into DIR (a day without a file is reported, not an error).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from g6_pipeline.analytics.close_of_day import price_day
from g6_pipeline.analytics.iv_rank import IV_RANK_SESSIONS
from g6_pipeline.cli.progress import progress_lines
from g6_pipeline.providers.bhavcopy import SOURCE, BhavcopyDay, BhavcopyError, bhavcopy_files
from g6_pipeline.providers.bhavcopy.chains import chain_days
from g6_pipeline.providers.bhavcopy.fetch import ARCHIVE_URLS, fetch_days, weekdays
from g6_pipeline.providers.bhavcopy.layout import read_bhavcopy
from g6_pipeline.settings import Settings, load_settings
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline.storage.holdings import holdings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.stopping import deferred

EXCHANGE_ARCHIVES = {"NFO": "NSE", "BFO": "BSE"}
"""Options exchange of an index → the exchange whose bhavcopy lists it."""


@dataclass(frozen=True)
class DayImport:
    """What happened to one (day, index): imported, replaced, already imported, kept, refused or failed."""

    day: date
    index: str
    outcome: str
    rows: int = 0
    message: str = ""

    def line(self) -> str:
        """`2026-01-05 NIFTY imported 84 rows` / `2026-01-05 NIFTY refused: holds collected data (kite)`."""
        detail = f" {self.rows} rows" if self.outcome in ("imported", "replaced") else f": {self.message}"
        return f"{self.day.isoformat()} {self.index} {self.outcome}{detail}"


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
    """Fetch (when asked), import, print one line per (day, index) not imported and a summary."""
    settings = load_settings().settings
    names = list(args.index or settings.enabled_indices)
    problem = _check_arguments(args, settings, names)
    if problem:
        print(f"g6 import-bhavcopy: {problem}", file=sys.stderr)
        return 2
    code = 0
    if args.fetch:
        code = _fetch(args, settings, names)
    location = DataLocation(args.data_dir or settings.data_dir)
    try:
        files = bhavcopy_files(args.path, args.start, args.end)
    except BhavcopyError as exc:
        print(f"g6 import-bhavcopy: {exc}", file=sys.stderr)
        return 2
    outcomes, errors = import_files(location, settings, files, names, args.start, args.end,
                                    all_strikes=args.all_strikes, replace_simulated=args.replace_simulated)
    for message in errors:
        print(f"g6 import-bhavcopy: {message}", file=sys.stderr)
    for outcome in outcomes:
        if outcome.outcome in ("refused", "failed"):
            print(f"g6 import-bhavcopy: {outcome.line()}", file=sys.stderr)
        elif outcome.outcome not in ("imported", "replaced"):
            print(f"  {outcome.line()}")
    counts = {kind: sum(1 for o in outcomes if o.outcome == kind) for kind in dict.fromkeys(o.outcome for o in outcomes)}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing to import"
    print(f"{len(files)} files, {sum(o.rows for o in outcomes):,} option rows written; day×index: {summary}")
    bad = any(o.outcome in ("refused", "failed") for o in outcomes) or bool(errors)
    return 1 if bad else code


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


def refusal(location: DataLocation, day: date, index: str, replace_simulated: bool) -> DayImport | None:
    """Why (day, index) is not written, or None when it may be (see the module docstring); what every store holds
    counts (`storage.holdings`)."""
    held = holdings(location, day, index)
    if held.empty:
        return None
    if held.sources == {SOURCE}:
        return DayImport(day, index, "already imported", message="holds this bhavcopy day; left alone")
    if held.collected:
        return DayImport(day, index, "refused", message=f"holds collected data ({held.describe()}); never overwritten")
    if not replace_simulated:
        return DayImport(day, index, "kept",
                         message=f"holds simulated data ({held.describe()}); --replace-simulated replaces it")
    return None


def import_files(
    location: DataLocation, settings: Settings, files: Sequence[Path], names: Sequence[str],
    start: date | None = None, end: date | None = None, *, all_strikes: bool = False,
    replace_simulated: bool = False, progress: bool = True,
) -> tuple[list[DayImport], list[str]]:
    """Import every (day, index) of `files` (see the module docstring); returns the outcomes and the files refused
    whole (a malformed file, with the reason)."""
    outcomes: list[DayImport] = []
    errors: list[str] = []
    closes = DailyCloses(location)
    with progress_lines(len(files), "import-bhavcopy", "files", progress) as advance:
        for path in files:
            try:
                days = _read(path, settings, names, start, end, all_strikes)
            except BhavcopyError as exc:
                errors.append(str(exc))
                advance(f"{path.name}: refused")
                continue
            for day in days:
                outcomes.append(_import_day(location, settings, day, closes, replace_simulated))
            advance(f"{path.name}: {len(days)} day×index")
    return outcomes, errors


def _read(
    path: Path, settings: Settings, names: Sequence[str], start: date | None, end: date | None, all_strikes: bool
) -> list[BhavcopyDay]:
    """The chains of the wanted indices in one file, each with its configured expiry tags and strike window."""
    rows = read_bhavcopy(path, start, end, names)
    days: list[BhavcopyDay] = []
    for name, group in rows.groupby("underlying", sort=True):
        config = settings.indices[str(name)]
        window = None if all_strikes else (config.strikes_below, config.strikes_above)
        days.extend(chain_days(group, str(path), config.expiry_tags, window))
    return sorted(days, key=lambda d: (d.day, d.underlying))


def _import_day(
    location: DataLocation, settings: Settings, day: BhavcopyDay, closes: DailyCloses, replace_simulated: bool
) -> DayImport:
    """Price one (day, index), then write it under its partition's lock unless it must be left alone (checked
    again under the lock); a failure is an outcome, not an exception. A stop signal lets the commit finish."""
    try:
        if (refused := refusal(location, day.day, day.underlying, replace_simulated)) is not None:
            return refused
        history = closes.history(day.underlying, day.day, IV_RANK_SESSIONS)
        chain = price_day(day, settings.analytics.risk_free_rate, history, settings.analytics.iv_rank_min_sessions)
        with partition_lock(location, day.day, day.underlying), deferred():
            if (refused := refusal(location, day.day, day.underlying, replace_simulated)) is not None:
                return refused
            replacing = not holdings(location, day.day, day.underlying).empty
            if replacing:
                from g6_pipeline.history.backfill import remove_simulated_day

                remove_simulated_day(location, day.day, day.underlying)
            rows, _ = ParquetSink(location, settings.storage.parquet_compression).write_day([chain])
            if settings.storage.csv_enabled:
                ClassicCsvSink(location).write_day([chain])
    except Exception as exc:  # one bad day must not stop the others
        return DayImport(day.day, day.underlying, "failed", message=f"{type(exc).__name__}: {exc}")
    return DayImport(day.day, day.underlying, "replaced" if replacing else "imported", rows=rows)
