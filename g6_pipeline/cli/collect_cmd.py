"""`g6 collect`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add `g6 collect` to the parser."""
    parser = commands.add_parser("collect", help="(not available yet)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Not available yet."""
    print("g6 collect: not available yet", file=sys.stderr)
    return 1
