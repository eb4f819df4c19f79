"""Importing the original G6's classic CSV files into the Parquet lake (source `classic_import`).

The input folder is laid out as the classic writer lays out `g6_data/`: per-strike files
`<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv` (CE and PE side by side) and overview files
`overview/<INDEX>/<YYYY-MM-DD>.csv`. Each CSV row becomes one option row per side (or one overview row); what
the CSV does not hold (bid/ask, tradingsymbol, tokens, lot size, IV status, ...) stays empty. Timestamps are
`dd-mm-YYYY HH:MM:SS` IST, floored to the minute.

Every row read is imported, refused or skipped, and every refusal names its file and line: a file whose header
or name is not classic, a last line cut short, a wrong field count, a field that is not a number or a date, a
row of another index or day than its file, a minute repeated in its file (the last one is kept). A (table,
day, index) the data directory already holds is skipped, so a second import changes nothing and rows of any
other source are never touched; so is one whose day another store holds data of that is not simulated
(`storage.holdings`; the classic CSV does not count when it is the folder being imported). Files are read one
(table, day, index) at a time, so memory is bounded by one day of one index, and each is committed under its
partition's writer lock, held for the commit only; a stop signal lets the commit finish.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.schema import EXPIRY_TAGS, OPTION_COLUMNS, OVERVIEW_COLUMNS
from g6_pipeline.storage.classic_format import CLASSIC_COLUMNS, OVERVIEW_CSV_COLUMNS, SIDE_METRICS
from g6_pipeline.storage.holdings import UNKNOWN, holdings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    commit_day,
    options_table,
    overview_table,
)
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.stopping import deferred

SOURCE = "classic_import"
CLASSIC_HEADERS: tuple[tuple[str, ...], ...] = (CLASSIC_COLUMNS[:32], CLASSIC_COLUMNS)
"""The two classic per-strike headers: the original 32 columns, and the later one with the `_pct` columns."""
_TEXT = {"timestamp", "index", "expiry_tag", "expiry_date", "offset"}
_OVERVIEW_RENAME = {"VIX": "vix", **{f"pcr_{tag}": f"pcr_{tag}" for tag in EXPIRY_TAGS}}
_SIDE_FIELDS = {"": "last_price", "avg_": "average_price"}
_METRIC_FIELDS = {"vol": "volume", **{m: m for m in SIDE_METRICS if m != "vol"}}
LINE = "_line"
"""The column of a parsed row that keeps its line number in its file (the header is line 1)."""
CUT = "cut last line"
FIELDS = "wrong field count"
NUMBERS = "bad numbers"
ELSEWHERE = "row of another index or day than its file"
DUPLICATE = "duplicate minute"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Refusal:
    """Refused lines of one file: a run of consecutive lines refused for one reason, or a whole file."""

    path: str
    first: int
    last: int
    reason: str
    rows: int

    def describe(self) -> str:
        """`g6_data/NIFTY/this_week/0/2026-01-05.csv:17-20: bad numbers (4 rows)`."""
        lines = f"{self.first}" + (f"-{self.last}" if self.last > self.first else "")
        return f"{self.path}:{lines}: {self.reason}" + (f" ({self.rows} rows)" if self.rows != 1 else "")


@dataclass
class ImportReport:
    """What an import read, stored, refused and skipped; every row read is one of the other three."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    """Rows of (table, day, index) the data directory already holds, left alone."""
    refusals: list[Refusal] = field(default_factory=list)
    skipped: list[tuple[str, date, str, str]] = field(default_factory=list)
    """(table, day, index, why) left alone because the data directory holds that day."""
    days: list[tuple[date, str]] = field(default_factory=list)
    """(day, index) that received rows."""

    @property
    def rows_refused(self) -> Counter[str]:
        """Refused rows by reason."""
        counts: Counter[str] = Counter()
        for refusal in self.refusals:
            counts[refusal.reason] += refusal.rows
        return counts

    @property
    def files_refused(self) -> list[str]:
        """The files refused whole (not a classic file), each named with the reason."""
        return [r.describe() for r in self.refusals if r.first == 1]

    def refuse(self, path: Path, lines: Sequence[int], reason: str) -> None:
        """Refuse these data lines of `path` (line numbers), noted as runs of consecutive lines."""
        for first, last in _runs(sorted(lines)):
            self.refusals.append(Refusal(str(path), first, last, reason, last - first + 1))


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    """Consecutive line numbers as (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for line in lines:
        if runs and line == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


Groups = list[tuple[tuple[str, str, date], list[Path]]]
"""The classic files of an import by (table, index, day)."""


def import_classic(folder: Path, location: DataLocation, progress: Progress | None = None) -> ImportReport:
    """Import every classic CSV under `folder` into `location`, one (table, day, index) at a time (memory bounded
    by one day of one index); see the module docstring. `progress` hears one line per (table, day, index)."""
    report = ImportReport()
    import_groups(folder, location, classic_groups(folder, report), report, progress)
    return report


def import_groups(
    folder: Path, location: DataLocation, groups: Groups, report: ImportReport, progress: Progress | None = None
) -> None:
    """Import `groups` (`classic_groups` of `folder`) into `location`, noting everything in `report`."""
    own_csv = location.is_local and Path(location.root.path, "g6_data").resolve() == folder.resolve()
    tell = progress or (lambda _line: None)
    for (table, index, day), files in groups:
        before = (report.rows_imported, sum(report.rows_refused.values()), report.rows_skipped)
        _import_table(location, table, index, day, files, report, own_csv)
        after = (report.rows_imported, sum(report.rows_refused.values()), report.rows_skipped)
        done = [now - then for now, then in zip(after, before, strict=True)]
        tell(f"{table} {index} {day.isoformat()}: {done[0]:,} rows imported, {done[1]:,} refused, {done[2]:,} skipped")


def classic_groups(folder: Path, report: ImportReport) -> Groups:
    """The classic files under `folder` grouped by (table, index, day); a CSV whose name is not a day is refused."""
    groups: dict[tuple[str, str, date], list[Path]] = {}
    found = [(OPTIONS, p, p.parts[-4]) for p in folder.glob("*/*/*/*.csv") if p.parts[-4] != "overview"]
    found += [(OVERVIEW, p, p.parent.name) for p in folder.glob("overview/*/*.csv")]
    for table, path, index in sorted(found, key=lambda item: str(item[1])):
        day = _day_of(path)
        if day is None:
            rows = _data_lines(path.read_bytes())
            report.rows_read += rows
            report.refusals.append(Refusal(str(path), 1, 1, "not a classic file name (<YYYY-MM-DD>.csv)", rows))
            continue
        groups.setdefault((table, index, day), []).append(path)
    return sorted(groups.items(), key=lambda item: (item[0][2], item[0][1], item[0][0] != OPTIONS))


def _day_of(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem)
    except ValueError:
        return None


def _data_lines(raw: bytes) -> int:
    """The data lines of a CSV file (a last line without its newline included; the header and empty lines not)."""
    return sum(1 for line in raw.partition(b"\n")[2].split(b"\n") if line)


def _import_table(
    location: DataLocation, table: str, index: str, day: date, files: list[Path], report: ImportReport,
    own_csv: bool,
) -> None:
    """Read one (table, day, index) worth of files and commit them, unless the data directory holds that day."""
    held = _held(location, table, day, index, own_csv)
    if held is not None:
        lines = sum(_data_lines(p.read_bytes()) for p in files)
        report.rows_read += lines
        report.rows_skipped += lines
        report.skipped.append((table, day, index, held))
        return
    frames = [f for f in ((p, _read_file(p, table, report)) for p in files) if f[1] is not None and len(f[1])]
    rows = _own_rows(frames, index, day, report)
    if rows is None:
        return
    stored = options_table(_option_rows(rows)) if table == OPTIONS else overview_table(_overview_rows(rows))
    with partition_lock(location, day, index), deferred():
        held = _held(location, table, day, index, own_csv)
        if held is not None:  # written while the files were read
            report.rows_skipped += len(rows)
            report.skipped.append((table, day, index, held))
            return
        commit_day(location, table, day, index, stored)
    report.rows_imported += len(rows)
    if (day, index) not in report.days:
        report.days.append((day, index))


def _own_rows(
    frames: list[tuple[Path, pd.DataFrame | None]], index: str, day: date, report: ImportReport
) -> pd.DataFrame | None:
    """The rows of the files' own index and day, each minute once (the last one); the others refused by line."""
    kept = []
    for path, frame in frames:
        assert frame is not None
        stray = (frame["index"] != index) | (frame["timestamp"].dt.date != day)
        report.refuse(path, frame.loc[stray, LINE].tolist(), ELSEWHERE)
        frame = frame[~stray]
        key = ["timestamp"] if "offset" not in frame else ["timestamp", "expiry_tag", "expiry", "strike"]
        doubled = frame.duplicated(subset=key, keep="last")
        report.refuse(path, frame.loc[doubled, LINE].tolist(), DUPLICATE)
        kept.append(frame[~doubled])
    rows = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    return None if rows.empty else rows


def _held(location: DataLocation, table: str, day: date, index: str, own_csv: bool) -> str | None:
    """Why the data directory's (table, day, index) must be left alone, or None: the table holds rows, or another
    store holds data of the day whose source is not simulated (`storage.holdings`; the classic CSV does not
    count when it is the folder being imported)."""
    folder = location.table_dir(table, day, index)
    if location.exists(location.sealed_file(table, day, index)) or location.minute_slice_names(folder):
        return "the data directory holds this day"
    held = holdings(location, day, index)
    untold = 0 if own_csv else held.classic_csv.get(UNKNOWN, 0)
    if untold or held.influx_spool:
        return f"the data directory holds data of this day whose source is not simulated ({held.describe()})"
    return None


def _read_file(path: Path, table: str, report: ImportReport) -> pd.DataFrame | None:
    """The file's valid rows as a frame (numbers parsed, timestamps floored, line numbers in `LINE`); every row
    read is counted and every refused one noted with its line."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    columns = tuple(head.decode("utf-8", "replace").strip().split(","))
    allowed = CLASSIC_HEADERS if table == OPTIONS else (OVERVIEW_CSV_COLUMNS,)
    rows = _data_lines(raw)
    report.rows_read += rows
    if columns not in allowed:
        what = "per-strike" if table == OPTIONS else "overview"
        report.refusals.append(Refusal(str(path), 1, 1, f"not a classic {what} header", rows))
        return None
    numbered = [(n, line) for n, line in enumerate(body.split(b"\n"), start=2) if line]
    if numbered and not body.endswith(b"\n"):  # no newline after the last line: a write cut short
        report.refuse(path, [numbered.pop()[0]], CUT)
    width = len(columns) - 1
    report.refuse(path, [n for n, line in numbered if line.count(b",") != width], FIELDS)
    good = [(n, line) for n, line in numbered if line.count(b",") == width]
    if not good:
        return None
    frame = pd.read_csv(io.BytesIO(b"\n".join(line for _, line in good)), header=None, names=list(columns),
                        dtype=str, keep_default_na=False)  # fmt: skip
    frame[LINE] = [n for n, _ in good]
    return _parse(frame, path, report)


def _parse(frame: pd.DataFrame, path: Path, report: ImportReport) -> pd.DataFrame:
    """Numbers and timestamps parsed; a row with a field that is not a number (or a bad timestamp) refused."""
    bad = np.zeros(len(frame), dtype=bool)
    out = pd.DataFrame({LINE: frame.pop(LINE)}, index=frame.index)
    for name in frame.columns:
        text = frame[name].str.strip()
        if name in _TEXT:
            out[name] = text
            continue
        values = pd.to_numeric(text, errors="coerce")
        bad |= (text != "").to_numpy() & ~np.isfinite(values.to_numpy(float))
        out[name] = values.astype(float)
    stamps = pd.to_datetime(frame["timestamp"], format="%d-%m-%Y %H:%M:%S", errors="coerce")
    bad |= stamps.isna().to_numpy()
    if "offset" in frame:
        offsets = pd.to_numeric(frame["offset"].str.replace("+", "", regex=False), errors="coerce")
        bad |= offsets.isna().to_numpy()
        out["offset"] = offsets
        expiry = pd.to_datetime(frame["expiry_date"], format="%Y-%m-%d", errors="coerce")
        bad |= expiry.isna().to_numpy()
        out["expiry"] = expiry.dt.date
    report.refuse(path, out.loc[bad, LINE].tolist(), NUMBERS)
    out["timestamp"] = stamps.dt.tz_localize(MARKET_TZ_NAME).dt.floor("min")
    return out[~bad]


def _option_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One option row per side of each classic row (a side with no value at all is left out)."""
    sides = []
    for side in ("CE", "PE"):
        prefix = side.lower()
        part = pd.DataFrame({
            "timestamp": rows["timestamp"], "index": rows["index"], "expiry": rows["expiry"],
            "expiry_tag": rows["expiry_tag"], "strike": rows["strike"], "offset": rows["offset"].astype("int32"),
            "side": side, "index_price": rows["index_price"], "atm": rows["atm"],
        })  # fmt: skip
        for lead, target in _SIDE_FIELDS.items():
            part[target] = rows[f"{lead}{prefix}"]
        for metric, target in _METRIC_FIELDS.items():
            part[target] = rows[f"{prefix}_{metric}"]
        values = part[[*_SIDE_FIELDS.values(), *_METRIC_FIELDS.values()]]
        sides.append(part[values.notna().any(axis=1)])
    options = pd.concat(sides, ignore_index=True)
    options["source"] = SOURCE
    return _with_empty_columns(options, OPTION_COLUMNS)


def _overview_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Overview rows with the classic columns mapped to the schema's names."""
    overview = rows.rename(columns=_OVERVIEW_RENAME)
    for name in (
        "expiries_expected",
        "expiries_collected",
        "expected_mask",
        "collected_mask",
        "missing_mask",
    ):
        overview[name] = overview[name].astype("Int32")
    overview["source"] = SOURCE
    return _with_empty_columns(overview, OVERVIEW_COLUMNS)


def _with_empty_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with every column of `columns` (those it lacks empty), in that order."""
    frame = frame.reset_index(drop=True)
    empty = {name: pd.Series([None] * len(frame), dtype=object) for name in columns if name not in frame}
    return pd.concat([frame, pd.DataFrame(empty, index=frame.index)], axis=1)[list(columns)]
