"""Per-trading-day on-disk cache of instrument dumps, so a restart does not download them again.

Layout: `<cache_dir>/<YYYY-MM-DD>/<EXCHANGE>.csv` plus `<EXCHANGE>.json` holding the row count
and SHA-256 of the CSV. Both are written atomically (temporary file, then rename). A cache entry whose
manifest is missing, whose checksum or row count does not match, or that does not parse is treated as
absent and downloaded again.
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

    def store(self, exchange: str, day: date, frame: pd.DataFrame) -> None:
        """Write a dump and its manifest atomically, then drop days older than `keep_days`."""
        csv_path, meta_path = self._paths(exchange, day)
        data = dump_to_csv(frame)
        write_atomic(csv_path, data)
        meta = {"exchange": exchange, "day": day.isoformat(), "rows": len(frame),
                "sha256": hashlib.sha256(data).hexdigest()}
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

    def get(self, exchange: str, day: date, download: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, bool]:
        """The day's dump and whether it was downloaded (False when served from the cache)."""
        cached = self.load(exchange, day)
        if cached is not None:
            return cached, False
        frame = download()
        if frame.empty:
            raise DumpError(f"{exchange} instrument dump for {day} is empty")
        self.store(exchange, day, frame)
        return frame, True

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
