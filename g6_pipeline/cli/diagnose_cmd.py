"""`g6 diagnose`: check configuration, token, provider, instance, data location, metrics servers and panels."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from g6_pipeline.cli.diagnose_checks import (
    DEFAULT_MIN_FREE_BYTES,
    GIB,
    Finding,
    Status,
    default_context,
    diagnose,
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


LABELS: Mapping[Status, str] = {"ok": " ok ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def render(results: Sequence[Finding]) -> str:
    """A readable report: one line per check and a closing verdict."""
    width = max(len(r.name) for r in results)
    lines = [f"[{LABELS[r.status]}] {r.name:<{width}}  {r.detail}" for r in results]
    failed = [r.name for r in results if r.status == "fail"]
    warned = [r.name for r in results if r.status == "warn"]
    lines.append("")
    lines.append(f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "all checks passed")
    if warned:
        lines.append(f"{len(warned)} warning(s): {', '.join(warned)}")
    return "\n".join(lines)


def failed(results: Sequence[Finding]) -> bool:
    """Whether any check failed."""
    return any(r.status == "fail" for r in results)
