"""Importing the original G6's classic CSV files into the Parquet lake (source `classic_import`).

The input folder is laid out as the classic writer lays out `g6_data/`: per-strike files
`<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv` (CE and PE side by side) and overview files
`overview/<INDEX>/<YYYY-MM-DD>.csv`. Each CSV row becomes one option row per side (or one overview row); what
the CSV does not hold (bid/ask, tradingsymbol, tokens, lot size, IV status, ...) stays empty. Timestamps are
`dd-mm-YYYY HH:MM:SS` IST, floored to the minute. A day × index whose table already holds rows is skipped,
so a second import changes nothing and rows of any other source are never touched.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.schema import EXPIRY_TAGS, OPTION_COLUMNS, OVERVIEW_COLUMNS
from g6_pipeline.storage.classic_format import CLASSIC_COLUMNS, OVERVIEW_CSV_COLUMNS, SIDE_METRICS
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    commit_day,
    options_table,
    overview_table,
)
from g6_pipeline.storage.writer import partition_lock

SOURCE = "classic_import"
CLASSIC_HEADERS: tuple[tuple[str, ...], ...] = (CLASSIC_COLUMNS[:32], CLASSIC_COLUMNS)
"""The two classic per-strike headers: the original 32 columns, and the later one with the `_pct` columns."""
_TEXT = {"timestamp", "index", "expiry_tag", "expiry_date", "offset"}
_OVERVIEW_RENAME = {"VIX": "vix", **{f"pcr_{tag}": f"pcr_{tag}" for tag in EXPIRY_TAGS}}
_SIDE_FIELDS = {"": "last_price", "avg_": "average_price"}
_METRIC_FIELDS = {"vol": "volume", **{m: m for m in SIDE_METRICS if m != "vol"}}


@dataclass
class ImportReport:
    """What an import read, stored and refused."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_refused: Counter[str] = field(default_factory=Counter)
    """Refused CSV rows by reason."""
    files_refused: list[str] = field(default_factory=list)
    """Files refused whole, each with the reason."""
    skipped: list[tuple[str, date, str]] = field(default_factory=list)
    """(table, day, index) left alone because the lake already holds rows there."""
    days: list[tuple[date, str]] = field(default_factory=list)
    """(day, index) that received rows."""


def import_classic(folder: Path, location: DataLocation) -> ImportReport:
    """Import every classic CSV under `folder` into `location`; see the module docstring."""
    report = ImportReport()
    for (index, day), files in sorted(_option_files(folder).items()):
        _import_table(location, OPTIONS, index, day, files, report)
    overview_root = folder / "overview"
    if overview_root.is_dir():
        for path in sorted(overview_root.glob("*/*.csv")):
            over_day = _day_of(path)
            if over_day is not None:
                _import_table(location, OVERVIEW, path.parent.name, over_day, [path], report)
    return report


def _option_files(folder: Path) -> dict[tuple[str, date], list[Path]]:
    """Per-strike CSVs grouped by (index, day)."""
    groups: dict[tuple[str, date], list[Path]] = {}
    for path in sorted(folder.glob("*/*/*/*.csv")):
        index = path.parts[-4]
        day = _day_of(path)
        if index != "overview" and day is not None:
            groups.setdefault((index, day), []).append(path)
    return groups


def _day_of(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem)
    except ValueError:
        return None


def _import_table(
    location: DataLocation, table: str, index: str, day: date, files: list[Path], report: ImportReport
) -> None:
    """Read one (table, day, index) worth of files and commit them, unless the lake already holds that day."""
    if _holds_rows(location, table, day, index):
        report.skipped.append((table, day, index))
        return
    frames = [f for f in (_read_file(p, table, report) for p in files) if f is not None and len(f)]
    if not frames:
        return
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[(rows["index"] == index) & (rows["timestamp"].dt.date == day)]
    key = ["timestamp"] if table == OVERVIEW else ["timestamp", "expiry_tag", "expiry", "strike"]
    unique = rows.drop_duplicates(subset=key, keep="last")
    if len(unique) < len(rows):
        report.rows_refused["duplicate minute"] += len(rows) - len(unique)
    if unique.empty:
        return
    if table == OPTIONS:
        stored = options_table(_option_rows(unique))
    else:
        stored = overview_table(_overview_rows(unique))
    with partition_lock(location, day, index):
        if _holds_rows(location, table, day, index):  # written while the files were read
            report.skipped.append((table, day, index))
            return
        commit_day(location, table, day, index, stored)
    report.rows_imported += len(unique)
    if (day, index) not in report.days:
        report.days.append((day, index))


def _holds_rows(location: DataLocation, table: str, day: date, index: str) -> bool:
    folder = location.table_dir(table, day, index)
    return location.exists(location.sealed_file(table, day, index)) or bool(
        location.minute_slice_names(folder)
    )


def _read_file(path: Path, table: str, report: ImportReport) -> pd.DataFrame | None:
    """The file's valid rows as a frame (numbers parsed, timestamps floored), refusals counted in `report`."""
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    columns = tuple(head.decode("utf-8", "replace").strip().split(","))
    allowed = CLASSIC_HEADERS if table == OPTIONS else (OVERVIEW_CSV_COLUMNS,)
    if columns not in allowed:
        report.files_refused.append(
            f"{path}: not a classic {'per-strike' if table == OPTIONS else 'overview'} header"
        )
        return None
    lines = body.split(b"\n")
    cut = lines.pop() if lines else b""
    if cut:  # no newline after the last line: a write cut short
        report.rows_read += 1
        report.rows_refused["cut last line"] += 1
    lines = [line for line in lines if line]
    report.rows_read += len(lines)
    short = [line for line in lines if line.count(b",") != len(columns) - 1]
    if short:
        report.rows_refused["cut last line" if short == lines[-1:] else "wrong field count"] += len(short)
    good = [line for line in lines if line.count(b",") == len(columns) - 1]
    if not good:
        return None
    frame = pd.read_csv(io.BytesIO(b"\n".join(good)), header=None, names=list(columns), dtype=str,
                        keep_default_na=False)  # fmt: skip
    return _parse(frame, report)


def _parse(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Numbers and timestamps parsed; a row with a field that is not a number (or a bad timestamp) refused."""
    bad = np.zeros(len(frame), dtype=bool)
    out = pd.DataFrame(index=frame.index)
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
    if bad.any():
        report.rows_refused["bad numbers"] += int(bad.sum())
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
