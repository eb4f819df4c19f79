"""`g6 config show` and `g6 config check`: the effective configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from g6_pipeline.cli.quote_budget import budget_report
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import now_ist
from g6_pipeline.settings.loader import SECRET_KEYS, LoadedSettings, load_settings
from g6_pipeline.util.redact import MASK, mask_secrets


def register(commands: Any) -> None:
    """Add `g6 config {show,check}`."""
    parser = commands.add_parser("config", help="show or check the configuration")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the effective configuration, secrets masked, with each source")
    show.add_argument("--json", action="store_true", help="print JSON (values only) instead of a table")
    show.set_defaults(handler=run_show)
    check = sub.add_parser(
        "check", help="validate the configuration, the holiday file's coverage and the quote budget of today's dumps; "
        "exit 2 with the reason when invalid or when a Kite configuration does not fit the minute"
    )
    check.set_defaults(handler=run_check)


def effective_rows(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(dotted key, shown value, source) for every leaf of the configuration, secrets (and URL passwords) masked."""
    rows: list[tuple[str, str, str]] = []
    dumped = loaded.settings.model_dump(mode="json")

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, child in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), child)
            return
        shown = MASK if prefix in SECRET_KEYS and value is not None else mask_secrets(json.dumps(value))
        rows.append((prefix, shown, loaded.source_of(prefix)))

    walk("", dumped)
    return rows


def run_show(args: argparse.Namespace) -> int:
    """Print the effective configuration."""
    loaded = load_settings()
    rows = effective_rows(loaded)
    if args.json:
        print(json.dumps({key: json.loads(value) if value != MASK else MASK for key, value, _ in rows}, indent=2))
        return 0
    width = max(len(key) for key, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 48)
    print(f"# configuration folder: {loaded.config_dir}")
    for key, value, source in rows:
        print(f"{key:<{width}}  {value:<{value_width}}  {source}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Validate the configuration, the calendar's coverage of today and the quote budget of today's dumps;
    warnings go to stderr.

    Exit 0 when usable (warnings included: a holiday file ending soon, a provisional year, a budget not worked
    out, a simulated provider over Kite's budget), 2 when invalid or a Kite configuration does not fit the minute.
    """
    loaded = load_settings()
    for warning in loaded.warnings:
        print(f"g6 config check: warning: {warning}", file=sys.stderr)
    now = now_ist()
    calendar = MarketCalendar.load(loaded.config_dir)
    coverage = calendar.coverage(now.date())
    if coverage.level == "warn":
        print(f"g6 config check: warning: {coverage.message}", file=sys.stderr)
    settings = loaded.settings
    enabled = list(settings.enabled_indices)
    shown = ", ".join(enabled) if len(enabled) <= 12 else ", ".join(enabled[:10]) + f" and {len(enabled) - 10} more"
    print(f"configuration OK ({loaded.config_dir}): provider {settings.provider}, {len(enabled)} underlyings "
          f"({shown}); calendar until {coverage.covered_until}")
    report = budget_report(settings, calendar, now)
    print(report.text)
    if report.verdict == "fail":
        print(f"g6 config check: error: {report.summary}", file=sys.stderr)
        return 2
    if report.verdict == "warn":
        print(f"g6 config check: warning: {report.summary}", file=sys.stderr)
    return 0
