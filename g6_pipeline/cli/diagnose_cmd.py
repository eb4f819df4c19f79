"""`g6 diagnose`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add `g6 diagnose` to the parser."""
    parser = commands.add_parser("diagnose", help="(not available yet)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Not available yet."""
    print("g6 diagnose: not available yet", file=sys.stderr)
    return 1
