"""Per-trading-day on-disk cache of instrument dumps, so a restart does not download them again.

Layout: `<cache_dir>/<YYYY-MM-DD>/<EXCHANGE>.csv` plus `<EXCHANGE>.json` holding the row count,
the SHA-256 of the CSV and when it was downloaded. Both are written atomically (temporary file, then
rename). A cache entry whose manifest is missing, whose checksum or row count does not match, or that does
not parse is treated as absent and downloaded again. The exchange lists contracts during the session too
(a new weekly after the open), so the collection asks for a dump older than `DUMP_REFRESH` to be downloaded
again; when that download fails the cached dump is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

from g6_pipeline.core.clock import IST
from g6_pipeline.instruments.dump import DumpError, dump_to_csv, parse_dump_csv
from g6_pipeline.util.atomic_file import write_atomic

log = logging.getLogger(__name__)

DUMP_READY = time(8, 0)
"""Kite builds the day's dump around 08:00 IST; before that the previous day's dump is current."""
DUMP_REFRESH = timedelta(minutes=15)
"""How old the day's dump may get during the collection before it is read again: a contract listed during the
session is collected within this time (a few downloads a day)."""


def dump_day(now: datetime) -> date:
    """The day whose dump is current at `now` (tz-aware): today from 08:00 IST, else yesterday."""
    local = now.astimezone(IST)
    return local.date() if local.time() >= DUMP_READY else local.date() - timedelta(days=1)


class InstrumentCache:
    """Dumps by (exchange, day) on disk; `get` downloads only when the cached copy is absent or corrupt."""

    def __init__(self, cache_dir: Path, keep_days: int = 5) -> None:
        self.root = Path(cache_dir)
        self.keep_days = keep_days

    def _paths(self, exchange: str, day: date) -> tuple[Path, Path]:
        folder = self.root / day.isoformat()
        return folder / f"{exchange}.csv", folder / f"{exchange}.json"

    def load(self, exchange: str, day: date) -> pd.DataFrame | None:
        """The cached dump, or None when absent or failing verification (the reason is logged)."""
        csv_path, meta_path = self._paths(exchange, day)
        if not csv_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = csv_path.read_bytes()
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise DumpError("checksum mismatch")
            frame = parse_dump_csv(data, str(csv_path))
            if len(frame) != int(meta["rows"]):
                raise DumpError(f"{len(frame)} rows, manifest says {meta['rows']}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("instrument cache %s is unusable (%s); downloading again", csv_path, exc)
            return None
        return frame

    def store(self, exchange: str, day: date, frame: pd.DataFrame, fetched_at: datetime | None = None) -> None:
        """Write a dump and its manifest (with when it was downloaded, when given) atomically, then drop days older
        than `keep_days`."""
        csv_path, meta_path = self._paths(exchange, day)
        data = dump_to_csv(frame)
        write_atomic(csv_path, data)
        meta = {"exchange": exchange, "day": day.isoformat(), "rows": len(frame),
                "sha256": hashlib.sha256(data).hexdigest()}
        if fetched_at is not None:
            meta["fetched_at"] = fetched_at.isoformat()
        write_atomic(meta_path, json.dumps(meta).encode("utf-8"))
        self._prune(day)

    def days(self) -> list[date]:
        """The days the cache holds a folder for, in date order (whether each dump is usable, `load` says)."""
        if not self.root.is_dir():
            return []
        found = []
        for child in self.root.iterdir():
            try:
                found.append(date.fromisoformat(child.name))
            except ValueError:
                continue
        return sorted(d for d in found if (self.root / d.isoformat()).is_dir())

    def get(
        self, exchange: str, day: date, download: Callable[[], pd.DataFrame],
        now: datetime | None = None, max_age: timedelta | None = None,
    ) -> tuple[pd.DataFrame, bool]:
        """The day's dump and whether it was downloaded (False when served from the cache).

        With `now` and `max_age`, a cached dump downloaded more than `max_age` before `now` (or at an unknown time)
        is downloaded again; if that fails, the cached one is served and the failure logged."""
        cached = self.load(exchange, day)
        if cached is not None and not self._older(exchange, day, now, max_age):
            return cached, False
        try:
            frame = download()
            if frame.empty:
                raise DumpError(f"{exchange} instrument dump for {day} is empty")
        except Exception as exc:
            if cached is None:
                raise
            log.warning("%s instrument dump of %s not downloaded again (%s); the cached one is used", exchange, day, exc)
            return cached, False
        self.store(exchange, day, frame, now)
        return frame, True

    def _older(self, exchange: str, day: date, now: datetime | None, max_age: timedelta | None) -> bool:
        """Whether the cached dump was downloaded more than `max_age` before `now` (never, without both)."""
        if now is None or max_age is None:
            return False
        try:
            fetched = datetime.fromisoformat(json.loads(self._paths(exchange, day)[1].read_text("utf-8"))["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return True
        return now - fetched >= max_age

    def _prune(self, today: date) -> None:
        if not self.root.exists():
            return
        cutoff = today - timedelta(days=self.keep_days)
        for child in self.root.iterdir():
            try:
                stale = date.fromisoformat(child.name) < cutoff
            except ValueError:
                continue
            if stale and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
