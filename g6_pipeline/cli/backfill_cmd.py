"""`g6 backfill`: whole synthetic trading days and their weekday master, for demos and history.

Only past days with nothing stored receive simulated data; a day holding collected data is refused and one
holding simulated data is kept unless `--replace` is given. What was written is recorded in the Dagster
instance (`DAGSTER_HOME`, else the project's `.dagster_home` next to the configuration folder), so the
daily partitions show as materialized in the UI.

SIGINT or SIGTERM stops it cleanly: each day being written is finished (written and sealed) or left untouched,
the worker processes stop with it, what was written is recorded, and it exits 130 or 143 (`cli.main`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from g6_pipeline.cli.instance import record_in_instance
from g6_pipeline.core.clock import now_ist
from g6_pipeline.settings import load_settings
from g6_pipeline.util.logs import configure_logging
from g6_pipeline.util.stopping import Stopped

if TYPE_CHECKING:
    from g6_pipeline.history.backfill import BackfillReport, DayOutcome
    from g6_pipeline.process.setup import ProcessSetup

ProgressSink = Callable[["DayOutcome"], None]


def register(commands: Any) -> None:
    """Add `g6 backfill`."""
    parser = commands.add_parser("backfill", help="generate whole synthetic trading days and the weekday master")
    parser.add_argument("--provider", choices=["synthetic"], default="synthetic",
                        help="only the synthetic market can produce past days")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--index", action="append", help="limit to these indices (repeatable)")
    parser.add_argument("--replace", action="store_true",
                        help="regenerate days that hold only simulated data (collected data is never touched)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes, each writing its own indices (default: one per core)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Backfill with progress, record it in the Dagster instance and print a short summary."""
    from g6_pipeline.history.backfill import backfill_synthetic
    from g6_pipeline.process.setup import ProcessSetup

    loaded = load_settings()
    setup = ProcessSetup.load(loaded)
    problem = _check_arguments(args, setup)
    if problem:
        print(f"g6 backfill: {problem}", file=sys.stderr)
        return 2
    configure_logging(loaded.settings.log_level, loaded.settings.secret_values())
    names = list(args.index) if args.index else list(setup.settings.enabled_indices)
    total = len(setup.calendar.trading_days(args.start, args.end)) * len(names)
    started = time.perf_counter()
    done: list[DayOutcome] = []
    try:
        with _progress(total) as advance:
            def progress(outcome: DayOutcome) -> None:
                done.append(outcome)
                advance(outcome)

            report = backfill_synthetic(setup, args.start, args.end, names, replace=args.replace, progress=progress,
                                        workers=args.workers)
    except Stopped:
        _stopped(done, total, setup)
        raise
    except Exception as exc:
        print(f"g6 backfill: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"backfilled {len(report.days)} trading days, {report.rows:,} option rows in "
          f"{time.perf_counter() - started:.1f} s")
    for index, results in report.weekday_master.items():
        issues = sum(len(r.issues) for r in results)
        files = sum(r.files_written for r in results)
        print(f"  weekday master {index}: {len(results)} days folded, {files} files written, {issues} issues")
    print(record_backfill(report, setup))
    return _print_outcomes(report)


def _stopped(done: list[DayOutcome], total: int, setup: ProcessSetup) -> None:
    """What a stopped backfill leaves: the days written (each whole and sealed) recorded, and how far it got."""
    from g6_pipeline.history.backfill import WRITTEN, BackfillReport

    written = [o for o in done if o.outcome in WRITTEN]
    print(f"g6 backfill: stopped after {len(done)} of {total} day×index: {len(written)} written and sealed whole, "
          "the rest untouched; the weekday master of this run was not folded (run the backfill again)",
          file=sys.stderr)
    print(record_backfill(BackfillReport(rows=sum(o.rows for o in written), outcomes=done), setup), file=sys.stderr)


def _check_arguments(args: argparse.Namespace, setup: Any) -> str | None:
    """The one-line reason the arguments cannot be run, or None."""
    if args.end < args.start:
        return "--end is before --start"
    if args.workers is not None and args.workers < 1:
        return f"--workers {args.workers}: give 1 or more"
    unknown = [n for n in args.index or [] if n not in setup.settings.indices]
    if unknown:
        return f"unknown index {', '.join(unknown)} (configured: {', '.join(setup.settings.indices)})"
    years = sorted(setup.calendar.years)
    source = setup.calendar.source
    if not years or args.start.year < years[0]:
        return f"--start {args.start} is before {years[0] if years else 'any'}, the first year the market calendar covers ({source})"
    if args.end.year > years[-1]:
        return f"--end {args.end} is after {years[-1]}, the last year the market calendar covers ({source})"
    today = now_ist().date()
    if args.end >= today:
        return f"--end {args.end} is today or later: only past days can be generated (today is {today})"
    return None


def _print_outcomes(report: BackfillReport) -> int:
    """One line per (day, index) kept, refused or failed; exit code 1 when any was refused or failed."""
    code = 0
    for outcome in report.outcomes:
        if outcome.outcome == "kept":
            print(f"  kept {outcome.line()}")
        elif outcome.outcome in ("refused", "failed"):
            print(f"g6 backfill: {outcome.line()}", file=sys.stderr)
            code = 1
    return code


@contextmanager
def _progress(total: int) -> Iterator[ProgressSink]:
    """A `rich` progress bar (days × indices, rate, ETA) on a terminal, plain progress lines otherwise."""
    if not sys.stderr.isatty():
        done = {"n": 0}

        def line(outcome: DayOutcome) -> None:
            done["n"] += 1
            print(f"[{done['n']}/{total}] {outcome.line()}", flush=True)

        yield line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TextColumn("day×index"),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("backfill", total=total, rate="")
        started = time.perf_counter()

        def advance(outcome: DayOutcome) -> None:
            count = bar.tasks[0].completed + 1
            rate = count / max(time.perf_counter() - started, 1e-9) * 60
            bar.update(task, advance=1, rate=f"{rate:.1f}/min")
            if outcome.outcome in ("refused", "failed"):
                bar.console.print(f"{outcome.line()}")

        yield advance


def record_backfill(report: BackfillReport, setup: ProcessSetup) -> str:
    """Record in the Dagster instance what the backfill sealed and folded, as the daily assets would have: the
    days and indices as partitions, each sealed day's materializations and check results, each fold's
    materialization and check. Returns a line saying where."""
    from g6_pipeline.defs.history.assets import master_events, sealed_day_events

    sealed = [o.sealed for o in report.outcomes if o.sealed is not None]
    folds = [r for reports in report.weekday_master.values() for r in reports]
    events = [e for day in sealed for e in sealed_day_events(day, setup, written_by="g6 backfill")]
    events += master_events(folds, written_by="g6 backfill")
    pairs = [(d.day, d.index) for d in sealed] + [(r.day, r.index) for r in folds]
    return record_in_instance(setup.loaded, pairs, events)
