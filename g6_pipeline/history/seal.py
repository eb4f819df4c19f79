"""Sealing a trading day of one index: the one recipe every path takes.

quarantine → repair → seal → checks → metrics. Unreadable minute slices are moved aside (their minutes become
gaps); with Kite, the day's gaps are refilled from the historical candles; the day's option and overview slices
are compacted into their sealed, verified files (`storage.seal`); the checks of `quality.DAY_CHECKS` run over
the sealed rows; the day's minutes and check outcomes are pushed as metrics. The Dagster asset, `g6 backfill`
and the weekday-master asset all call `seal_trading_day`, so a day carries the same check results however it
was made.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from g6_pipeline.history.gaps import describe_minutes, repair_with_kite
from g6_pipeline.history.quality import (
    DAY_CHECKS,
    CheckResult,
    close_of_day_only,
    day_checks,
    duplicates,
    expected_minutes,
    kinds_of,
)
from g6_pipeline.metrics import push_asset_check, push_day_minutes
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.storage import seal as compaction
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, CommittedDay
from g6_pipeline.storage.quarantine import quarantine_unreadable, quarantined_files
from g6_pipeline.storage.reader import read_chain, read_day_table
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.redact import describe_error

log = logging.getLogger(__name__)
SEAL_RECORD_SCHEMA = "g6.seal_record.v1"


@dataclass(frozen=True)
class SealedDay:
    """What sealing one (day, index) produced: both tables' seal reports, the check results and the repair."""

    day: date
    index: str
    options: compaction.SealReport
    overview: compaction.SealReport
    checks: dict[str, CheckResult]
    minutes: dict[str, int]
    """Session minutes by kind: live, repaired, missing."""
    quarantined: tuple[str, ...] = ()
    repair: dict[str, Any] = field(default_factory=dict)
    """What the repair before the seal did (Kite only), as the seal's metadata."""
    warnings: tuple[str, ...] = ()
    provisional: str | None = None
    """Why the day is a provisional session (a year the holiday file does not cover), None for a listed one."""

    @property
    def blocked_by(self) -> tuple[str, ...]:
        """The blocking checks the day failed (empty: fit for the weekday master)."""
        return tuple(name for name, result in self.checks.items() if DAY_CHECKS[name].blocking and not result.passed)

    def record(self) -> dict[str, Any]:
        """The seal record kept beside the data (`DataLocation.seal_record_file`): the same bytes for the same
        day, whenever it is sealed."""
        return {
            "schema": SEAL_RECORD_SCHEMA,
            "day": self.day.isoformat(),
            "index": self.index,
            "rows": self.options.rows,
            "sources": list(self.options.sources),
            "minutes": self.minutes,
            "provisional": self.provisional,
            "checks": {name: {"passed": r.passed, "blocking": DAY_CHECKS[name].blocking, "description": r.description}
                       for name, r in self.checks.items()},
        }


def repair_before_seal(setup: ProcessSetup, day: date, index: str) -> tuple[dict[str, Any], list[str]]:
    """With Kite: refill the day's missing minutes from the historical candles; (seal metadata, warnings).

    What cannot be repaired stays a gap with its reason; a repair that cannot run at all leaves the day as
    stored and the seal goes on. Nothing for the other providers (they have no history to repair from).
    """
    if setup.settings.provider != "kite":
        return {}, []
    if close_of_day_only(stored_sources(setup.location, day, index)):
        return {"minutes_repaired_at_seal": 0, "repair": "not run: a close-of-day day holds its closing minute only"}, []
    try:
        result = repair_with_kite(setup, day, [index]).indices[index]
    except Exception as exc:  # the stored day is sealed as it is
        reason = describe_error(exc, setup.settings.secret_values())
        return ({"minutes_repaired_at_seal": 0, "repair": f"not run: {reason}"},
                [f"{index} {day}: no gap repair before the seal: {reason}"])
    reasons = "; ".join(f"{describe_minutes(m)} ({len(m)}): {why}" for why, m in result.reasons().items())
    if result.repaired:
        log.info("%s %s: %d missing minutes repaired before the seal", index, day, len(result.repaired))
    return {
        "minutes_repaired_at_seal": len(result.repaired),
        "repair": (f"{len(result.repaired)} minutes repaired from Kite's historical candles"
                   + (f"; still missing {reasons}" if reasons else "")),
    }, []


def seal_trading_day(setup: ProcessSetup, day: date, index: str, committed: CommittedDay | None = None) -> SealedDay:
    """Quarantine, repair, seal and check one stored (day, index), and push its metrics.

    Idempotent: sealing a sealed day with nothing new verifies it and runs the checks again. Raises
    `storage.seal.SealError` when nothing is stored for the day or the compacted data does not verify.
    `committed`: the day was just written whole as its sealed files (a backfill) and verified then; its tables
    are sealed and checked as they are in memory, not read from disk again.
    """
    location, settings = setup.location, setup.settings
    session = setup.calendar.session_minutes(day)
    if committed is not None:
        quarantined: list[str] = []
        repair: dict[str, Any] = {}
        warnings: list[str] = []
        options, overview = compaction.committed_reports(location, committed, len(session))
        rows = committed.options.to_pandas()
    else:
        quarantined = [q.describe() for q in quarantine_unreadable(location, day, index)]
        repair, warnings = repair_before_seal(setup, day, index)
        compression = settings.storage.parquet_compression
        options = compaction.seal_day(location, day, index, expected_minutes=len(session), compression=compression)
        overview = compaction.seal_overview(location, day, index, expected_minutes=len(session),
                                            compression=compression)
        quarantined += [q for q in options.quarantined if q not in quarantined]
        warnings += [f"{index} {day}: unreadable slice quarantined: {each}" for each in quarantined]
        rows = read_chain(location, day, index)
    expected = expected_minutes(rows, len(session))
    options, overview = replace(options, minutes_expected=expected), replace(overview, minutes_expected=expected)
    checks = day_checks(rows, expected, settings.analytics.risk_free_rate, quarantined_files(location, day, index))
    provisional = setup.calendar.provisional_note(day)
    if provisional is not None:  # the completeness of a day the holiday file does not list says so
        done = checks["completeness"]
        checks["completeness"] = replace(done, description=f"{done.description}; {provisional}")
    for name, result in checks.items():
        push_asset_check(name, index, result.passed, settings)
    minutes = kinds_of(checks["completeness"])
    push_day_minutes(index, session[0], minutes, settings)
    for warning in warnings:
        log.warning("%s", warning)
    sealed = SealedDay(day, index, options, overview, checks, minutes, tuple(quarantined), repair, tuple(warnings),
                       provisional)
    with partition_lock(location, day, index):
        location.write_atomic(location.seal_record_file(index, day), (json.dumps(sealed.record()) + "\n").encode())
    return sealed


CLOSE_OF_DAY_NOT_FOLDED = ("close-of-day history (an imported bhavcopy: one closing minute by design), not an "
                           "intraday day: the weekday master folds collected or simulated sessions")
"""Why a close-of-day day is never folded into the weekday master (its place is the days-to-expiry history)."""


def sealed_sources(location: DataLocation, day: date, index: str) -> tuple[str, ...] | None:
    """The sources a day's seal record names (None when the day has no readable record)."""
    try:
        record = json.loads(location.read_bytes(location.seal_record_file(index, day)))
    except (OSError, ValueError):
        return None
    sources = record.get("sources") if isinstance(record, dict) else None
    return tuple(str(s) for s in sources) if isinstance(sources, list) else None


def stored_sources(location: DataLocation, day: date, index: str) -> set[str]:
    """The sources of the option rows stored for (day, index), sealed or not (empty when nothing is)."""
    try:
        table = read_day_table(location, OPTIONS, day, index, ["source"])
    except FileNotFoundError:
        return set()
    return {s if s is not None else "unknown" for s in table.column("source").unique().to_pylist()}


def fold_refusal(location: DataLocation, day: date, index: str, options: pd.DataFrame) -> str | None:
    """Why a sealed day must not be folded into the weekday master, or None: a close-of-day day (one minute
    by design, `CLOSE_OF_DAY_NOT_FOLDED`), a blocking check its seal failed (from its seal record), or rows
    duplicated in the sealed file as it is now. A day sealed by an earlier version has no record; its rows are
    still checked."""
    if "source" in options and close_of_day_only(options["source"].dropna().astype(str)):
        return CLOSE_OF_DAY_NOT_FOLDED
    try:
        record = json.loads(location.read_bytes(location.seal_record_file(index, day)))
    except FileNotFoundError:
        record = {}
    except (OSError, ValueError) as exc:
        return f"unreadable seal record: {exc}"
    failed = [f"{name}: {check.get('description', '')}" for name, check in dict(record.get("checks") or {}).items()
              if isinstance(check, dict) and check.get("blocking") and not check.get("passed")]
    doubled = duplicates(options)
    if not doubled.passed:
        failed.append(f"no_duplicates: {doubled.description}")
    return f"a blocking check failed ({'; '.join(dict.fromkeys(failed))})" if failed else None
