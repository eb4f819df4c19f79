"""What every store holds for one (day, index), by source: what a writer of whole past days must not overwrite.

A backfill and the imports write whole days; they may write only a (day, index) that holds nothing but
simulated data in every store (`Holdings.collected`). Each store tells the source of what it holds its own way:

- Parquet: the `source` column of the rows (the sealed file, the minute slices and a staged file of an
  interrupted commit; the kept raw slices when the partition holds none of these). A row with no source
  counts as `unknown`.
- Classic CSV (`g6_data/<INDEX>/<tag>/<offset>/<day>.csv` and the overview file): its lines carry no source.
  The CSV mirrors the Parquet store minute by minute, so a CSV minute takes the sources the Parquet holds
  for the same minute; a minute the Parquet does not hold (or a line whose time cannot be read) is `unknown`.
- Influx spool (`_spool/influx/`): its points carry no source; every point of the day and index is `unknown`.

`unknown` counts as collected: data whose source cannot be told is never overwritten.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import pyarrow.compute as pc
from upath import UPath

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import OPTIONS, read_tables

UNKNOWN = "unknown"
"""The source of data whose source cannot be told (counted as collected)."""
CSV_TIME_FORMAT = "%d-%m-%Y %H:%M:%S"
_spool_cache: dict[tuple[str, int, int], Counter[tuple[date, str]]] = {}
"""Points per (day, index) of each spool file read, by (path, size, mtime): spool files are written once."""


@dataclass(frozen=True)
class Holdings:
    """What the stores hold for one (day, index): minutes per source in Parquet and classic CSV, spooled points."""

    parquet: dict[str, int] = field(default_factory=dict)
    classic_csv: dict[str, int] = field(default_factory=dict)
    influx_spool: int = 0

    @property
    def empty(self) -> bool:
        """Nothing is held in any store."""
        return not self.parquet and not self.classic_csv and not self.influx_spool

    @property
    def sources(self) -> set[str]:
        """Every source held in any store (`unknown` for the spool's points and untold CSV minutes)."""
        return set(self.parquet) | set(self.classic_csv) | ({UNKNOWN} if self.influx_spool else set())

    @property
    def collected(self) -> bool:
        """Whether any store holds data that is not simulated (or whose source cannot be told)."""
        return bool(self.sources - SIMULATED_SOURCES)

    def describe(self) -> str:
        """'375 minutes of kite' (Parquet, which the CSV mirrors), then what only the other stores hold:
        '12 minutes of unknown source in classic CSV', '40 Influx points spooled (source unknown)'."""
        parts = [_minutes(self.parquet)] if self.parquet else []
        if self.classic_csv.get(UNKNOWN):
            parts.append(f"{_count(self.classic_csv[UNKNOWN])} of unknown source in classic CSV")
        if self.influx_spool:
            parts.append(f"{self.influx_spool} Influx point{'' if self.influx_spool == 1 else 's'} spooled (source unknown)")
        return "; ".join(parts) or "nothing"


def _minutes(by_source: dict[str, int]) -> str:
    """'375 minutes of kite' / '12 minutes of kite, 3 of synthetic' (most first)."""
    ordered = sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))
    (source, count), rest = ordered[0], ordered[1:]
    return ", ".join([f"{_count(count)} of {source}", *[f"{n} of {s}" for s, n in rest]])


def _count(minutes: int) -> str:
    """'1 minute', '375 minutes'."""
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def holdings(location: DataLocation, day: date, index: str) -> Holdings:
    """What every store holds for (day, index) (see the module docstring)."""
    by_minute = parquet_minute_sources(location, day, index)
    parquet: Counter[str] = Counter(s for sources in by_minute.values() for s in sources)
    classic: Counter[str] = Counter()
    for minute in csv_minutes(location, day, index):
        classic.update(by_minute.get(minute, {UNKNOWN}) if minute is not None else {UNKNOWN})
    return Holdings(dict(parquet), dict(classic), spooled_points(location, day, index))


def parquet_paths(location: DataLocation, day: date, index: str) -> list[UPath]:
    """The option files of (day, index): minute slices, sealed file, staged file; else the kept raw slices."""
    folder = location.table_dir(OPTIONS, day, index)
    names = location.list_names(folder)
    paths = [folder / n for n in location.minute_slice_names(folder)]
    if SEALED_NAME in names:
        paths.append(folder / SEALED_NAME)
    staged = location.staged_file(OPTIONS, day, index)
    if location.exists(staged):
        paths.append(staged)
    if not paths:
        raw = location.raw_dir(OPTIONS, day, index)
        paths = [raw / n for n in location.minute_slice_names(raw)]
    return paths


def parquet_minute_sources(location: DataLocation, day: date, index: str) -> dict[datetime, set[str]]:
    """The sources of each minute of (day, index) held in Parquet (a row with no source: `unknown`)."""
    paths = parquet_paths(location, day, index)
    if not paths:
        return {}
    table = read_tables(location, paths, ["timestamp", "source"])
    table = table.set_column(1, "source", pc.fill_null(table.column("source"), UNKNOWN))
    pairs = table.group_by(["timestamp", "source"]).aggregate([])
    stamps = pd.DatetimeIndex(pairs.column("timestamp").to_pandas()).tz_convert(IST).to_pydatetime()
    found: dict[datetime, set[str]] = {}
    for stamp, source in zip(stamps, pairs.column("source").to_pylist(), strict=True):
        found.setdefault(stamp, set()).add(str(source))
    return found


def csv_files(location: DataLocation, day: date, index: str) -> list[UPath]:
    """The classic CSV files of (day, index): every series file of the day and the overview file."""
    series_root = location.classic_csv(index, "tag", 0, day).parent.parent.parent
    name = f"{day.isoformat()}.csv"
    found = [series_root / tag / offset / name for tag in location.list_names(series_root)
             for offset in location.list_names(series_root / tag)]
    found.append(location.overview_csv(index, day))
    return [path for path in found if location.exists(path)]


def csv_minutes(location: DataLocation, day: date, index: str) -> set[datetime | None]:
    """The minutes the classic CSV files of (day, index) hold (None for lines whose time cannot be read)."""
    texts: set[bytes] = set()
    for path in csv_files(location, day, index):
        lines = location.read_bytes(path).split(b"\n")[1:]
        texts.update(line.split(b",", 1)[0] for line in lines if line.strip())
    minutes: set[datetime | None] = set()
    for text in texts:
        try:
            moment = datetime.strptime(text.decode("ascii").strip(), CSV_TIME_FORMAT)
        except (UnicodeDecodeError, ValueError):
            minutes.add(None)
            continue
        minutes.add(moment.replace(second=0, microsecond=0, tzinfo=IST))
    return minutes


def spooled_points(location: DataLocation, day: date, index: str) -> int:
    """The Influx points of (day, index) waiting in the spool (local data directory only)."""
    if not location.is_local:
        return 0
    folder = location.influx_spool_dir()
    total = 0
    for name in location.list_names(folder):
        if name.startswith("points-") and name.endswith(".lp"):
            total += _spool_file_points(str(folder / name))[(day, index)]
    return total


def _spool_file_points(path: str) -> Counter[tuple[date, str]]:
    """Points per (day, index) of one spool file (read once per version of the file; missing → none)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return Counter()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _spool_cache:
        with open(path, "rb") as handle:
            _spool_cache[key] = _count_points(handle.read())
    return _spool_cache[key]


def _count_points(data: bytes) -> Counter[tuple[date, str]]:
    """Line-protocol points per (day, index): the `index` tag and the trailing timestamp (seconds)."""
    counts: Counter[tuple[date, str]] = Counter()
    for line in data.split(b"\n"):
        head, _, rest = line.partition(b" ")
        tags = dict(t.split(b"=", 1) for t in head.split(b",")[1:] if b"=" in t)
        if b"index" not in tags or not rest:
            continue
        try:
            moment = datetime.fromtimestamp(int(rest.rsplit(b" ", 1)[-1]), IST)
        except (ValueError, OverflowError, OSError):
            continue
        counts[(moment.date(), tags[b"index"].decode("utf-8", "replace"))] += 1
    return counts

