"""`g6 import-classic DIR`: bring the original G6's classic CSV history into the Parquet lake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from g6_pipeline.cli.instance import record_in_instance
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.classic_import import import_classic
from g6_pipeline.storage.opening import open_location


def register(commands: Any) -> None:
    """Add `g6 import-classic` to the parser."""
    parser = commands.add_parser(
        "import-classic",
        help="import the original G6's classic CSV files into the Parquet store",
        description="Read DIR/<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv and DIR/overview/<INDEX>/"
        "<YYYY-MM-DD>.csv (an original g6_data/ folder) into the Parquet store with source classic_import. "
        "Columns the CSV lacks stay empty. A day and index the store already holds is left alone, so a second "
        "run changes nothing. Files whose header is not the classic one are refused.",
    )
    parser.add_argument("folder", metavar="DIR", type=Path, help="the original's g6_data/ folder")
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (default: the configured one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Import and print rows read, imported and refused; 1 when a file was refused whole."""
    if not args.folder.is_dir():
        print(f"g6 import-classic: {args.folder}: not a folder", file=sys.stderr)
        return 2
    loaded = load_settings()
    location = open_location(args.data_dir or loaded.settings.data_dir)
    report = import_classic(args.folder, location)
    refused = sum(report.rows_refused.values())
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(report.rows_refused.items()))
    print(
        f"{args.folder}: {report.rows_read} rows read, {report.rows_imported} imported, {refused} refused"
        + (f" ({reasons})" if reasons else "")
        + f"; {len(report.days)} day×index partitions written, {len(report.skipped)} already held and left alone"
    )
    for message in report.files_refused:
        print(f"refused {message}")
    if report.days:
        print(record_in_instance(loaded, report.days))
    return 1 if report.files_refused else 0
