"""A trading day's Kite instrument lists kept for good, checked, and compared with the previous session's.

`archive_instrument_day` archives every NFO and BFO dump the instrument cache holds that the archive does not
(`storage.instrument_archive.archive_cached_dumps`: a day already archived is kept as it was, and a day whose
own run never came is archived while the cache still has it) and reports, per exchange, what the day's
archived list holds: option contracts, the underlyings listed, the wanted indices it lacks, and every rule
that changed since the previous archived session (`instruments.drift`: expiry weekdays, number of weeklies,
lot size per expiry, strike step, listed and delisted underlyings): the day the contracts list, G6 says what
the exchange changed. Two checks judge the day (`ARCHIVE_CHECKS`): `dump_complete` fails on a dump that is
missing, unreadable, lists no option contract or lacks a wanted index; `rule_drift` warns with exactly what
changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from g6_pipeline.history.quality import CheckResult, DayCheck
from g6_pipeline.instruments.cache import InstrumentCache
from g6_pipeline.instruments.drift import RuleChange, rule_drift
from g6_pipeline.instruments.dump import OPTION_SEGMENTS
from g6_pipeline.storage.instrument_archive import (
    ARCHIVED_EXCHANGES,
    archive_cached_dumps,
    load_archived_dump,
    previous_archived_day,
)
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import StorageError

ARCHIVE_CHECKS: dict[str, DayCheck] = {
    "dump_complete": DayCheck("Each exchange's instrument list of the day is archived, reads, lists option "
                              "contracts and every wanted index of that exchange.", blocking=True),
    "rule_drift": DayCheck("The option rules (expiry weekdays, weeklies, lot sizes, strike step, underlyings "
                           "listed) are those of the previous archived session; a change is named.", blocking=False),
}
"""The checks of one archived day."""


@dataclass(frozen=True)
class ExchangeDay:
    """One exchange's instrument list of one day, as archived."""

    exchange: str
    archived_now: bool = False
    rows: int = 0
    options: int = 0
    underlyings: int = 0
    missing: tuple[str, ...] = ()
    """Wanted indices of this exchange the list has no option of."""
    previous: date | None = None
    """The previous archived session compared with (None: the first archived day)."""
    changes: tuple[RuleChange, ...] = ()
    error: str | None = None
    """Why there is no usable list (not cached and not archived, unreadable)."""


@dataclass(frozen=True)
class ArchivedDay:
    """What archiving one day's instrument lists found, per exchange."""

    day: date
    exchanges: tuple[ExchangeDay, ...]

    @property
    def changes(self) -> list[RuleChange]:
        """Every rule change of the day, by exchange."""
        return [c for e in self.exchanges for c in e.changes]

    def checks(self) -> dict[str, CheckResult]:
        """The results of `ARCHIVE_CHECKS`."""
        problems = [f"{e.exchange}: {e.error}" for e in self.exchanges if e.error]
        problems += [f"{e.exchange}: no option contract listed" for e in self.exchanges if not e.error and not e.options]
        problems += [f"{e.exchange}: lacks {', '.join(e.missing)}" for e in self.exchanges if e.missing]
        listed = ", ".join(f"{e.exchange} {e.options:,} options of {e.underlyings} underlyings"
                           for e in self.exchanges if not e.error)
        complete = CheckResult(not problems, float(sum(e.options for e in self.exchanges)),
                               "; ".join(problems) if problems else f"archived: {listed}",
                               {"options": sum(e.options for e in self.exchanges), "problems": len(problems)})
        changes = self.changes
        compared = [f"{e.exchange} vs {e.previous.isoformat()}" for e in self.exchanges if e.previous is not None]
        if changes:
            words = "rules changed: " + "; ".join(c.line() for c in changes)
        else:
            words = f"no rule changed ({', '.join(compared)})" if compared else "no earlier archived session to compare"
        drift = CheckResult(not changes, float(len(changes)), words, {"changes": len(changes)})
        return {"dump_complete": complete, "rule_drift": drift}


def archive_instrument_day(
    location: DataLocation, cache: InstrumentCache, day: date, wanted: Mapping[str, Sequence[str]],
    exchanges: Iterable[str] = ARCHIVED_EXCHANGES,
) -> ArchivedDay:
    """Archive `day`'s cached instrument lists and report each exchange's (see the module docstring).

    `wanted`: exchange → the index names (the dump's `name`) expected to list options there.
    """
    chosen = list(exchanges)
    swept = set(archive_cached_dumps(location, cache, chosen))
    return ArchivedDay(day, tuple(_exchange_day(location, day, e, wanted.get(e, ()), (e, day) in swept)
                                  for e in chosen))


def _exchange_day(location: DataLocation, day: date, exchange: str, wanted: Sequence[str],
                  archived_now: bool) -> ExchangeDay:
    if not location.exists(location.instrument_archive_file(exchange, day)):
        return ExchangeDay(exchange, error=f"no instrument list of {day.isoformat()} cached or archived")
    try:
        dump = load_archived_dump(location, exchange, day)
    except (StorageError, OSError, ValueError) as exc:
        return ExchangeDay(exchange, archived_now, error=str(exc))
    options = dump.loc[(dump["segment"] == OPTION_SEGMENTS[exchange]) & dump["instrument_type"].isin(["CE", "PE"])]
    listed = set(options["name"])
    previous = previous_archived_day(location, exchange, day)
    changes: tuple[RuleChange, ...] = ()
    if previous is not None:
        try:
            changes = tuple(rule_drift(load_archived_dump(location, exchange, previous), dump))
        except (StorageError, OSError, ValueError) as exc:
            return ExchangeDay(exchange, archived_now, len(dump), len(options), len(listed),
                               error=f"the previous session's list ({previous.isoformat()}) is unreadable: {exc}")
    return ExchangeDay(exchange, archived_now, len(dump), len(options), len(listed),
                       tuple(n for n in wanted if n not in listed), previous, changes)
