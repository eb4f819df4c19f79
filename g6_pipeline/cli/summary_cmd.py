"""`g6 summary`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add `g6 summary` to the parser."""
    parser = commands.add_parser("summary", help="(not available yet)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Not available yet."""
    print("g6 summary: not available yet", file=sys.stderr)
    return 1
