"""Entry point of the `g6` command: builds the parser from the command modules and runs one command.

Every error reaches the terminal as one line on stderr with a documented exit code, never a traceback. SIGINT
and SIGTERM stop any command cleanly (`util.stopping`): what it was writing is finished or left untouched,
its locks are released and its worker processes stopped, and its last line says it was stopped.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from g6_pipeline import __version__
from g6_pipeline.cli import (
    backfill_cmd,
    bhavcopy_cmd,
    calendar_cmd,
    chain_cmd,
    collect_cmd,
    config_cmd,
    diagnose_cmd,
    import_cmd,
    materialize_cmd,
    migrate_cmd,
    repair_cmd,
    serve_cmd,
    summary_cmd,
    token_cmd,
)
from g6_pipeline.core.calendar import CalendarError
from g6_pipeline.providers.kite_token import TokenStoreError
from g6_pipeline.settings import ConfigError
from g6_pipeline.util.redact import clean_text, describe_error, mask_secrets
from g6_pipeline.util.stopping import Stopped, stop_signals

COMMAND_MODULES = (
    config_cmd, collect_cmd, backfill_cmd, token_cmd, summary_cmd, serve_cmd, chain_cmd, diagnose_cmd, migrate_cmd,
    repair_cmd, import_cmd, materialize_cmd, bhavcopy_cmd, calendar_cmd,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    the command ran and found a problem: a diagnose check failed, `collect` had an
       underlying failed, degraded, stale or skipped (its quote time ran out), a sink failed or
       the minute was skipped (market closed, the exchange's clock says closed, no token),
       `token status` found no valid token, `import-classic` refused a row (named by file
       and line), a backfill or import refused or failed a day, or an unexpected error (one line)
  2    G6 cannot run as configured: invalid configuration, an invalid holiday file, an
       unreadable token file or another file-system error, wrong arguments, a holiday list
       `calendar import` refused (the line is named; nothing written)
  130  stopped by SIGINT (Ctrl-C)
  143  stopped by SIGTERM (kill, a service manager)
       A stopped command first finishes the day or commit it is writing (else leaves it
       untouched), releases its locks and stops its worker processes; its last line says so.
"""

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The full `g6` parser; each command module adds its own subcommand."""
    parser = argparse.ArgumentParser(
        prog="g6",
        description="G6: option-chain collection and analytics for NIFTY, BANKNIFTY, FINNIFTY and SENSEX.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"g6 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _one_line(text: str) -> str:
    return mask_secrets(clean_text(" ".join(str(text).split())))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `g6` command and return its exit code (see `EXIT_CODES_HELP`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with stop_signals():
            code: int = args.handler(args)
    except Stopped as stop:
        print(f"g6 {args.command}: {stop} (exit {stop.exit_code})", file=sys.stderr)
        return stop.exit_code
    except (ConfigError, CalendarError, TokenStoreError) as exc:
        print(f"g6: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print(f"g6 {args.command}: stopped by SIGINT (exit {EXIT_INTERRUPTED})", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"g6: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as exc:  # the last line of defence: one line, the details in the debug log
        log.debug("g6 %s failed", args.command, exc_info=True)
        print(f"g6: unexpected error in `g6 {args.command}`: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
