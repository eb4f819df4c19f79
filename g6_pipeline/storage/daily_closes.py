"""The closing ATM IV of each stored session, per index and expiry tag, for the IV rank and percentile.

A day's close is its last stored overview minute (a minute slice, else the sealed file), read for the
`atm_iv_<tag>` columns and its `source` (collected, simulated or an imported bhavcopy day: what the rank rests
on, `analytics.iv_rank.history_for`). Closes of past days do not change, so they are kept in
`_reference/<INDEX>/daily_closes.json` (day → tag → IV, and `source`) and each day is read once; a day with
no stored overview for the index is not a session of the period. A kept day without its source (kept by an
earlier version) is read again.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import pyarrow.compute as pc

from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.snapshot import IvCloses
from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import OVERVIEW, read_table
from g6_pipeline.util.numeric import finite_or_none

log = logging.getLogger(__name__)
_COLUMNS = ["timestamp", "source", *[f"atm_iv_{tag}" for tag in EXPIRY_TAGS]]
SOURCE_KEY = "source"
"""The key of a kept day's source, beside its tags' closes."""
Kept = dict[str, dict[str, float | str]]


class DailyCloses:
    """Reads and remembers the daily ATM-IV closes of the stored sessions."""

    def __init__(self, location: DataLocation) -> None:
        self.location = location
        self._kept: dict[str, Kept] = {}

    def history(self, index: str, day: date, sessions: int) -> IvCloses:
        """Tag → finite closing ATM IVs of the last `sessions` stored sessions before `day`, oldest first, with
        the source of each."""
        kept = self._load(index)
        days = self._stored_days(index, day, kept)[-sessions:] if sessions > 0 else []
        fresh = {d: self._close(index, date.fromisoformat(d)) for d in days if d not in kept}
        found = {d: v for d, v in fresh.items() if v is not None}
        if found:
            kept.update(found)
            self._save(index, kept)
        closes: dict[str, tuple[float, ...]] = {}
        sources: dict[str, tuple[str, ...]] = {}
        for tag in EXPIRY_TAGS:
            held = [kept[d] for d in days if d in kept and tag in kept[d]]
            if held:
                closes[tag] = tuple(float(entry[tag]) for entry in held)
                sources[tag] = tuple(str(entry[SOURCE_KEY]) for entry in held)
        return IvCloses(closes, sources)

    def _stored_days(self, index: str, day: date, kept: Kept) -> list[str]:
        """Days before `day` with a stored overview of `index` (ISO strings, ascending)."""
        return [
            d.isoformat() for d in self.location.table_days(OVERVIEW)
            if d < day and (d.isoformat() in kept or index in self.location.table_indices(OVERVIEW, d))
        ]

    def _close(self, index: str, day: date) -> dict[str, float | str] | None:
        """The finite `atm_iv_<tag>` values and the `source` of the day's last stored minute; None when nothing
        is stored."""
        folder = self.location.table_dir(OVERVIEW, day, index)
        names = self.location.list_names(folder)
        slices = self.location.minute_slice_names(folder)
        candidates = []
        try:
            if slices:
                candidates.append(read_table(self.location, folder / slices[-1], _COLUMNS))
            if SEALED_NAME in names:
                sealed = read_table(self.location, folder / SEALED_NAME, _COLUMNS)
                last = pc.max(sealed.column("timestamp"))
                candidates.append(sealed.filter(pc.equal(sealed.column("timestamp"), last)))
        except (OSError, ValueError) as exc:
            log.warning("daily close of %s on %s unreadable: %s", index, day.isoformat(), exc)
            return None
        rows = [t for t in candidates if t.num_rows]
        if not rows:
            return None
        latest = max(rows, key=lambda t: t.column("timestamp")[0].as_py())
        values = {tag: finite_or_none(latest.column(f"atm_iv_{tag}")[0].as_py()) for tag in EXPIRY_TAGS}
        source = latest.column("source")[0].as_py()
        return {**{tag: v for tag, v in values.items() if v is not None}, SOURCE_KEY: str(source or "unknown")}

    def _path(self, index: str) -> Any:
        return self.location.daily_closes_file(index)

    def _load(self, index: str) -> Kept:
        if index not in self._kept:
            kept: Kept = {}
            path = self._path(index)
            if self.location.exists(path):
                try:
                    kept = {str(d): _entry(values) for d, values in json.loads(self.location.read_bytes(path)).items()
                            if isinstance(values, dict) and isinstance(values.get(SOURCE_KEY), str)}
                except (ValueError, TypeError, AttributeError):
                    log.warning("ignoring unreadable daily-close file %s", path)
            self._kept[index] = kept
        return self._kept[index]

    def _save(self, index: str, kept: Kept) -> None:
        document = json.dumps(dict(sorted(kept.items())), sort_keys=True).encode()
        try:
            self.location.write_atomic(self._path(index), document, durable=False)
        except OSError as exc:  # a read-only or full disk: the closes are used, just not kept
            log.warning("could not keep the daily closes at %s: %s", self._path(index), exc)


def _entry(values: dict[str, Any]) -> dict[str, float | str]:
    """A kept day read back: each tag's close as a float, its source as text (a bad value raises ValueError)."""
    return {str(key): str(value) if key == SOURCE_KEY else float(value) for key, value in values.items()}
