"""What a minute's analytics need from earlier data: the previous session's close and today's first minute.

Read once per (index, day) from the edges of the stored data (one minute slice or a filtered sealed file),
then kept in `_reference/<INDEX>/<YYYY-MM-DD>.json` so the next minute's run, a new process, does not
read it again.

Changes are like-for-like: the previous session's straddles are kept by expiry date and handed to an
expiry tag only when the tag still names the same contract (the day after a weekly expiry `this_week` is
the former `next_week`), and the previous close of a leg is that of the same trading symbol. Where no
same-contract base exists the change is NaN, never a jump against an expired contract.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from g6_pipeline.analytics.iv_rank import IV_RANK_SESSIONS
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.snapshot import IvCloses, SessionReference
from g6_pipeline.storage.daily_closes import DailyCloses
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW
from g6_pipeline.storage.reader import read_edge_minute
from g6_pipeline.util.numeric import finite_or_none

log = logging.getLogger(__name__)
_LEG_COLUMNS = ["tradingsymbol", "last_price", "oi"]
_VERSION = 2


@dataclass(frozen=True)
class DayReference:
    """The stored bases of one (index, day): the previous close (straddles by expiry date) and today's open."""

    prev_close_legs: pd.DataFrame | None = None
    prev_close_by_expiry: Mapping[str, float] = field(default_factory=dict)
    day_open_straddle: Mapping[str, float] = field(default_factory=dict)
    day_open_spot: float = math.nan

    def resolve(self, expiries: Mapping[str, date] | None) -> SessionReference:
        """The `SessionReference` for a chain whose tags name `expiries` (tag → expiry date)."""
        by_tag = {
            tag: self.prev_close_by_expiry[expiry.isoformat()]
            for tag, expiry in (expiries or {}).items()
            if expiry is not None and expiry.isoformat() in self.prev_close_by_expiry
        }
        return SessionReference(
            prev_close_legs=self.prev_close_legs,
            prev_close_straddle=by_tag,
            day_open_straddle=dict(self.day_open_straddle),
            day_open_spot=self.day_open_spot,
        )

    def opened_at(self, overview: Mapping[str, Any]) -> DayReference:
        """This reference with today's open taken from the day's first overview row."""
        straddles: dict[str, float] = {
            t: v for t in EXPIRY_TAGS if (v := finite_or_none(overview.get(f"straddle_{t}"))) is not None
        }
        spot = finite_or_none(overview.get("index_price"))
        return replace(self, day_open_straddle=straddles, day_open_spot=math.nan if spot is None else spot)

    @property
    def opened(self) -> bool:
        """Whether today's first minute is known."""
        return not math.isnan(self.day_open_spot)

    def document(self) -> dict[str, Any]:
        """The JSON form kept under `_reference/`."""
        legs = self.prev_close_legs
        return {
            "version": _VERSION,
            "prev_close_legs": [] if legs is None else [[s, finite_or_none(p), finite_or_none(o)]
                                                        for s, p, o in legs.itertuples(index=False)],
            "prev_close_by_expiry": dict(self.prev_close_by_expiry),
            "day_open_straddle": dict(self.day_open_straddle),
            "day_open_spot": finite_or_none(self.day_open_spot),
        }


class ReferenceCache:
    """Builds and remembers one `DayReference` per (index, day) from the stored data."""

    def __init__(self, location: DataLocation, calendar: MarketCalendar) -> None:
        self.location = location
        self.calendar = calendar
        self._cache: dict[tuple[str, date], DayReference] = {}
        self._closes = DailyCloses(location)
        self._iv_closes: dict[tuple[str, date], IvCloses] = {}

    def iv_closes(self, index: str, day: date) -> IvCloses:
        """The daily ATM-IV closes of `index` before `day` per expiry tag, with their sources (for IV rank), read
        once."""
        key = (index, day)
        if key not in self._iv_closes:
            self._iv_closes[key] = self._closes.history(index, day, IV_RANK_SESSIONS)
        return self._iv_closes[key]

    def get(self, index: str, day: date, expiries: Mapping[str, date] | None = None) -> SessionReference:
        """The reference for `index` on `day` for a chain of `expiries`; NaN changes where nothing is stored.

        Without `expiries` the tags of today's first stored minute are used (none known: no net straddle change).
        Carries the daily ATM-IV closes before `day` for IV rank.
        """
        day_ref = self.day_reference(index, day)
        resolved = day_ref.resolve(expiries if expiries is not None else self._open_expiries(index, day))
        return replace(resolved, atm_iv_closes=self.iv_closes(index, day))

    def day_reference(self, index: str, day: date) -> DayReference:
        """The kept reference, else one built from the stored data (kept once today's first minute is known)."""
        key = (index, day)
        cached = self._cache.get(key) or self._read_kept(index, day)
        if cached is not None:
            self._cache[key] = cached
            return cached
        reference = self.previous_close(index, day)
        today = read_edge_minute(self.location, OVERVIEW, day, index, last=False)
        if today is not None and today.num_rows:
            reference = reference.opened_at(today.slice(0, 1).to_pylist()[0])
        # today's first minute may not be stored yet: keep the reference only once it is complete
        if reference.opened:
            self.keep(index, day, reference)
        return reference

    def previous_close(self, index: str, day: date) -> DayReference:
        """The previous session's close of `index`, read from the stored data (today's open unknown)."""
        previous = self.calendar.previous_trading_day(day)
        prev_legs = read_edge_minute(self.location, OPTIONS, previous, index, last=True, columns=_LEG_COLUMNS)
        prev_overview = read_edge_minute(self.location, OVERVIEW, previous, index, last=True)
        return DayReference(prev_close_legs=_legs(prev_legs), prev_close_by_expiry=_straddles_by_expiry(prev_overview))

    def keep(self, index: str, day: date, reference: DayReference) -> None:
        """Remember `reference` for (index, day), in memory and in its `_reference/` file."""
        self._cache[(index, day)] = reference
        path = self.location.reference_file(index, day)
        text = json.dumps(reference.document(), sort_keys=True)
        try:
            self.location.write_atomic(path, text.encode(), durable=False)
        except OSError as exc:  # a read-only or full disk: the reference is used, just not kept
            log.warning("could not keep the reference at %s: %s", path, exc)

    def _open_expiries(self, index: str, day: date) -> dict[str, date]:
        today = read_edge_minute(self.location, OVERVIEW, day, index, last=False)
        return _expiries(today)

    def _read_kept(self, index: str, day: date) -> DayReference | None:
        path = self.location.reference_file(index, day)
        if not self.location.exists(path):
            return None
        try:
            document = json.loads(self.location.read_bytes(path))
            if document.get("version") != _VERSION:
                return None  # an older form (straddles by tag): rebuilt from the stored data
            return _from_document(document)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring unreadable reference file %s", path)
            return None


def _from_document(document: dict[str, Any]) -> DayReference:
    legs = document["prev_close_legs"]
    spot = document["day_open_spot"]
    return DayReference(
        prev_close_legs=(
            pd.DataFrame(legs, columns=_LEG_COLUMNS).astype({"last_price": float, "oi": float}) if legs else None
        ),
        prev_close_by_expiry={k: float(v) for k, v in document["prev_close_by_expiry"].items()},
        day_open_straddle={k: float(v) for k, v in document["day_open_straddle"].items()},
        day_open_spot=math.nan if spot is None else float(spot),
    )


def _legs(table: pa.Table | None) -> pd.DataFrame | None:
    if table is None or table.num_rows == 0:
        return None
    frame = table.select(_LEG_COLUMNS).to_pandas().drop_duplicates("tradingsymbol")
    return frame.astype({"last_price": float, "oi": float}).reset_index(drop=True)


def _expiries(overview: pa.Table | None) -> dict[str, date]:
    """Tag → expiry date of an overview minute."""
    if overview is None or overview.num_rows == 0:
        return {}
    row = overview.slice(0, 1).to_pylist()[0]
    return {tag: row[f"expiry_{tag}"] for tag in EXPIRY_TAGS if isinstance(row.get(f"expiry_{tag}"), date)}


def _straddles_by_expiry(overview: pa.Table | None) -> dict[str, float]:
    """Expiry date (ISO) → ATM straddle of an overview minute."""
    if overview is None or overview.num_rows == 0:
        return {}
    row = overview.slice(0, 1).to_pylist()[0]
    out: dict[str, float] = {}
    for tag, expiry in _expiries(overview).items():
        value = finite_or_none(row.get(f"straddle_{tag}"))
        if value is not None:
            out.setdefault(expiry.isoformat(), value)
    return out
