"""Entry point of the `g6` command: builds the parser from the command modules and runs one command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from g6_pipeline import __version__
from g6_pipeline.cli import (
    backfill_cmd,
    chain_cmd,
    collect_cmd,
    config_cmd,
    diagnose_cmd,
    migrate_cmd,
    repair_cmd,
    serve_cmd,
    summary_cmd,
    token_cmd,
)
from g6_pipeline.settings import ConfigError

COMMAND_MODULES = (
    config_cmd, collect_cmd, backfill_cmd, token_cmd, summary_cmd, serve_cmd, chain_cmd, diagnose_cmd, migrate_cmd,
    repair_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The full `g6` parser; each command module adds its own subcommand."""
    parser = argparse.ArgumentParser(
        prog="g6",
        description="G6: option-chain collection and analytics for NIFTY, BANKNIFTY, FINNIFTY and SENSEX.",
    )
    parser.add_argument("--version", action="version", version=f"g6 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `g6` command and return its exit code (2 for configuration errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        print(f"g6: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
