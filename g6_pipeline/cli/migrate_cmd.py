"""`g6 migrate`: bring the data directory's Parquet files to the current layout (one time, idempotent)."""

from __future__ import annotations

import argparse
from typing import Any

from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import migrate_layout


def register(commands: Any) -> None:
    """Add `g6 migrate` to the parser."""
    parser = commands.add_parser(
        "migrate",
        help="move the Parquet files of an older data directory into the current layout",
        description="Move parquet/<table>/date=D/index=<INDEX>/ folders to parquet/<table>/date=D/<INDEX>/, "
        "the kept raw slices to parquet/_raw/, finish an interrupted seal and fold minute slices lying next "
        "to a sealed file. Files are renamed one at a time, so an interrupted run is finished by running it "
        "again; a second run changes nothing. Writers and readers do the same on their first use.",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (default: the configured one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Migrate the data directory and print what was done."""
    location = DataLocation(args.data_dir or load_settings().settings.data_dir)
    report = migrate_layout(location)
    moved = report.moved
    if not report.changed:
        print(f"{location.root}: already in the current layout, nothing to do")
        return 0
    print(
        f"{location.root}: {len(moved.partitions)} folders moved ({moved.files_moved} files, "
        f"{moved.files_dropped} older copies dropped), {len(report.folded)} partitions folded, "
        f"{len(report.resumed)} interrupted seals finished"
    )
    return 0
