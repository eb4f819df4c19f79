"""`g6 diagnose`: check configuration, token, provider, instance, data location, metrics servers and panels."""

from __future__ import annotations

import argparse
from typing import Any

from g6_pipeline.cli.diagnose_checks import (
    DEFAULT_MIN_FREE_BYTES,
    GIB,
    default_context,
    diagnose,
    failed,
    render,
)


def register(commands: Any) -> None:
    """Add `g6 diagnose` to the parser."""
    parser = commands.add_parser(
        "diagnose",
        help="check everything G6 needs and print a report; exit 1 when a check fails",
    )
    parser.add_argument(
        "--min-free-gb",
        type=float,
        default=DEFAULT_MIN_FREE_BYTES / GIB,
        help="fail when a disk G6 writes to has less free space (default %(default)s GiB)",
    )
    parser.add_argument("--prometheus-url", default=None, help="also check this Prometheus server")
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds to wait for each remote service (default %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the report, return 1 if any check failed."""
    ctx = default_context(
        min_free_bytes=int(args.min_free_gb * GIB),
        prometheus_url=args.prometheus_url,
        timeout_seconds=args.timeout,
    )
    results = diagnose(ctx)
    print(render(results))
    return 1 if failed(results) else 0
