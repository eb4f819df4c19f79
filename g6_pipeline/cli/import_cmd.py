"""`g6 import-classic DIR`: bring the original G6's classic CSV history into the Parquet lake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from g6_pipeline.cli.instance import record_in_instance
from g6_pipeline.cli.progress import progress_lines
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.classic_import import ImportReport, classic_groups, import_groups
from g6_pipeline.storage.opening import open_location
from g6_pipeline.util.stopping import Stopped


def register(commands: Any) -> None:
    """Add `g6 import-classic` to the parser."""
    parser = commands.add_parser(
        "import-classic",
        help="import the original G6's classic CSV files into the Parquet store",
        description="Read DIR/<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv and DIR/overview/<INDEX>/"
        "<YYYY-MM-DD>.csv (an original g6_data/ folder) into the Parquet store with source classic_import. "
        "Columns the CSV lacks stay empty. A day and index the store already holds is left alone, so a second "
        "run changes nothing. Every refused row is named by file and line (a header that is not the classic "
        "one, a cut or malformed line, a bad number or date, a row of another index or day, a repeated "
        "minute); rows read = imported + refused + skipped. Exit 1 when a row was refused.",
    )
    parser.add_argument("folder", metavar="DIR", type=Path, help="the original's g6_data/ folder")
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (default: the configured one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Import with progress; print every refusal (file and line) and skip, then the counts; 1 when a row was
    refused. SIGINT or SIGTERM stops it after the commit it is in (what was imported stays whole)."""
    if not args.folder.is_dir():
        print(f"g6 import-classic: {args.folder}: not a folder", file=sys.stderr)
        return 2
    loaded = load_settings()
    location = open_location(args.data_dir or loaded.settings.data_dir)
    report = ImportReport()
    groups = classic_groups(args.folder, report)
    try:
        with progress_lines(len(groups), "import-classic", "day×index×table") as advance:
            import_groups(args.folder, location, groups, report, advance)
    except Stopped:
        _summary(args.folder, report, stopped=True)
        raise
    _summary(args.folder, report)
    if report.days:
        print(record_in_instance(loaded, report.days))
    return 1 if report.refusals else 0


def _summary(folder: Path, report: ImportReport, stopped: bool = False) -> None:
    """Every refusal and skip, then one line of counts (read = imported + refused + skipped)."""
    for refusal in sorted(report.refusals, key=lambda r: (r.path, r.first)):
        print(f"g6 import-classic: refused {refusal.describe()}", file=sys.stderr)
    for table, day, index, why in report.skipped:
        print(f"  skipped {table} {index} {day.isoformat()}: {why}")
    refused = sum(report.rows_refused.values())
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(report.rows_refused.items()))
    print(
        f"{folder}: {report.rows_read:,} rows read = {report.rows_imported:,} imported + {refused:,} refused"
        + (f" ({reasons})" if reasons else "") + f" + {report.rows_skipped:,} skipped"
        + f"; {len(report.days)} day×index partitions written, {len(report.skipped)} already held and left alone"
        + ("; stopped: the rest was not read" if stopped else ""),
        file=sys.stderr if stopped else sys.stdout,
    )
