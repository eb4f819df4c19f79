"""`g6 materialize`: seal days or fold them into the weekday master from the command line, as the UI would.

The days are the trading days of a range; each (day, index) is registered as a partition and materialized in
the project's Dagster instance (`cli.instance.dagster_home`), one run per (day, index), sealed before it is
folded. A range with no trading day is refused in one line.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from g6_pipeline.cli.instance import dagster_home
from g6_pipeline.settings import load_settings

ASSETS = ("option_chain_daily", "overview_daily", "weekday_master", "daily")
"""What can be selected: a daily asset (the two sealed tables are one step), or all of them."""


def register(commands: Any) -> None:
    """Add `g6 materialize`."""
    parser = commands.add_parser(
        "materialize", help="seal trading days or fold them into the weekday master, in the Dagster instance",
        description="Materialize daily partitions in the project's Dagster instance. RANGE is a day "
                    "(2026-11-20) or a range (2026-11-02...2026-11-20); only its trading days are materialized.",
    )
    parser.add_argument("select", choices=ASSETS, help="the asset (option_chain_daily and overview_daily are "
                                                       "sealed together; daily: seal, then fold)")
    parser.add_argument("range", metavar="RANGE", help="YYYY-MM-DD or YYYY-MM-DD...YYYY-MM-DD")
    parser.add_argument("--index", action="append", help="limit to these indices (repeatable; default: enabled)")
    parser.set_defaults(handler=run)


def parse_range(text: str) -> tuple[date, date]:
    """`2026-11-02...2026-11-20` or a single day → (first, last); ValueError naming the text otherwise."""
    first, _, last = text.partition("...")
    try:
        start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    except ValueError:
        raise ValueError(f"RANGE {text!r}: expected YYYY-MM-DD or YYYY-MM-DD...YYYY-MM-DD") from None
    if end < start:
        raise ValueError(f"RANGE {text!r}: the last day is before the first")
    return start, end


def run(args: argparse.Namespace) -> int:
    """Materialize the selection over the range's trading days; one line per run, then a summary."""
    loaded = load_settings()
    try:
        start, end = parse_range(args.range)
    except ValueError as exc:
        print(f"g6 materialize: {exc}", file=sys.stderr)
        return 2
    from g6_pipeline.core.calendar import MarketCalendar

    days = MarketCalendar.load(loaded.config_dir).trading_days(start, end)
    if not days:
        print(f"g6 materialize: {args.range} holds no trading day (weekends and holidays only)", file=sys.stderr)
        return 2
    indices = list(args.index or loaded.settings.enabled_indices)
    unknown = [n for n in indices if n not in loaded.settings.indices]
    if unknown:
        print(f"g6 materialize: unknown index {', '.join(unknown)}", file=sys.stderr)
        return 2
    home = dagster_home(loaded)
    if home is None:
        print("g6 materialize: no Dagster instance: set DAGSTER_HOME or run `make run` once", file=sys.stderr)
        return 2
    return _materialize(args.select, days, indices, str(home))


def _materialize(select: str, days: list[date], indices: list[str], home: str) -> int:
    """Run the selection in the instance at `home`; exit 1 when any run failed."""
    import dagster as dg

    from g6_pipeline.defs.history.assets import seal_day as seal
    from g6_pipeline.defs.history.assets import weekday_master as master
    from g6_pipeline.defs.partitions import partition_key, register
    from g6_pipeline.defs.resources import shared_resources
    failed = 0
    with dg.DagsterInstance.from_config(home) as instance:
        register(instance, days, indices)
        keys = [str(partition_key(day, index)) for day in days for index in indices]
        steps = ([seal] if select != "weekday_master" else []) + ([master] if select in ("weekday_master", "daily") else [])
        for asset in steps:
            what = "weekday master folded" if asset is master else "sealed"
            for key in keys:
                result = dg.materialize([asset], instance=instance, resources=shared_resources(), partition_key=key,
                                        raise_on_error=False)
                failed += not result.success
                print(f"{key}: {what}" + _checks(result))
    print(f"materialized {select} for {len(days)} trading days × {len(indices)} indices in {home}"
          + (f"; {failed} runs failed (see the Dagster UI)" if failed else ""))
    return 1 if failed else 0


def _checks(result: Any) -> str:
    """`, checks 4/4 passed` (or which failed), `: failed` for a run that did not finish."""
    evaluations = result.get_asset_check_evaluations()
    failed = [e.check_name for e in evaluations if not e.passed]
    said = f", checks {len(evaluations) - len(failed)}/{len(evaluations)} passed" if evaluations else ""
    said += f" (failed: {', '.join(sorted(set(failed)))})" if failed else ""
    return said if result.success or evaluations else ": failed (see the Dagster UI)"
