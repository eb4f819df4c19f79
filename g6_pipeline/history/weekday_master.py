"""The weekday master: for each series and time of day, the mean and the EMA of the straddle and the per-side
metrics over every stored day with the same weekday.

Key: (index, expiry tag, offset, weekday, time of day). Each day is reduced to an aggregate (rows at the same time
averaged), read from the day's sealed Parquet, the source of truth, and kept to the calendar's regular session
hours (open to close, both included). Materialising a day records it under
`weekday_master/_days/<INDEX>/<YYYY-MM-DD>.json` (a few bytes: the day and its sources); the aggregates
themselves are not stored but computed again from the sealed days whenever a weekday is rebuilt. A weekday's master
files are rebuilt from all recorded days of that weekday in date order: `counter += 1; mean += (x − mean)/counter;
ema = α·x + (1 − α)·ema` (the first day sets both). So materialising a day twice, or days in any order, writes
byte-identical files. A value missing on a day (NaN) leaves that metric's mean and EMA as they were; it is never
counted as zero.

Each record keeps the sources of its day's rows (`g6_sources`, read again from the sealed day). A master folds
the days of one source family only, simulated (`SIMULATED_SOURCES`) or collected (every other source): a day of the other
family, or one mixing both, is left out with a warning, never folded in silently.

Output: `weekday_master/<INDEX>/<expiry_tag>/<offset>/<WEEKDAY>.csv` with the original's columns, and a
quality report per (day, index) under `weekday_master/_quality/<INDEX>/`, listing the days and sources folded.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, time
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.history.seal import fold_refusal
from g6_pipeline.storage.classic_format import OPTION_ROW_COLUMNS, SIDE_METRICS, option_rows
from g6_pipeline.storage.location import WEEKDAY_NAMES, DataLocation, format_offset
from g6_pipeline.storage.parquet import OPTIONS, ROW_KEY, conform

METRICS: tuple[str, ...] = ("tp", "avg_tp", *[f"{side}_{m}" for m in SIDE_METRICS for side in ("ce", "pe")])
MASTER_COLUMNS: tuple[str, ...] = (
    "timestamp",
    *[f"{m}_{kind}" for m in METRICS for kind in ("mean", "ema")],
    "counter",
    "index",
    "expiry_tag",
    "offset",
)
MASTER_HEADER = (",".join(MASTER_COLUMNS) + "\n").encode()
KEY = ["expiry_tag", "offset", "time"]

Severity = Literal["critical", "warning", "info"]
Family = Literal["simulated", "collected"]
SOURCES_KEY = "g6_sources"
READ_THREADS = 2
"""Sealed days read and reduced at once while a weekday is rebuilt."""


def family_of_provider(setting: str, provider: str) -> Family:
    """The source family a weekday master folds: the setting's, or for `provider` the configured provider's."""
    if setting in ("simulated", "collected"):
        return setting  # type: ignore[return-value]
    return "simulated" if provider in SIMULATED_SOURCES else "collected"


def in_family(sources: Iterable[str], family: Family | None) -> bool:
    """Whether a day of these sources belongs to `family` (None: any day of one family)."""
    simulated = {s in SIMULATED_SOURCES for s in sources}
    if len(simulated) != 1:
        return False
    return family is None or simulated == {family == "simulated"}


@dataclass(frozen=True)
class Issue:
    """One finding of the quality report."""

    severity: Severity
    message: str


@dataclass(frozen=True)
class WeekdayMasterReport:
    """What materialising one (day, index) partition did."""

    day: date
    index: str
    weekday: str
    rows: int
    """Aggregate rows of this day (series × time of day)."""
    master_rows: int
    """Rows written across this weekday's master files."""
    files_written: int
    days_folded: tuple[date, ...]
    issues: tuple[Issue, ...] = field(default_factory=tuple)
    quality_path: str = ""
    sources: tuple[str, ...] = ()
    """The sources of this day's rows."""
    family: str = "any"
    """The source family folded ('simulated', 'collected' or 'any')."""
    sources_folded: tuple[tuple[str, ...], ...] = ()
    """The sources of each day of `days_folded`, in the same order."""

    @property
    def ok(self) -> bool:
        """No critical issue."""
        return not any(i.severity == "critical" for i in self.issues)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of the report (also written to `quality_path`)."""
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["days_folded"] = [d.isoformat() for d in self.days_folded]
        data["folded"] = [
            {"day": d.isoformat(), "sources": list(s)}
            for d, s in zip(self.days_folded, self.sources_folded, strict=True)
        ]
        data["sources_folded"] = [list(s) for s in self.sources_folded]
        data["ok"] = self.ok
        return data


def day_aggregate(options: pd.DataFrame, open_time: time, close_time: time) -> pd.DataFrame:
    """Reduce a day's option rows to one row per (expiry tag, offset, time of day) from `open_time` to
    `close_time`, both included (IST).

    Columns: `expiry_tag`, `offset`, `time` (HH:MM:SS) and every metric of `METRICS`.
    """
    rows = option_rows(options)
    codes, uniques = pd.factorize(pd.DatetimeIndex(rows["timestamp"]).tz_convert(MARKET_TZ_NAME))
    rows["time"] = np.asarray(pd.DatetimeIndex(uniques).strftime("%H:%M:%S"), dtype=object)[codes]
    start, end = _hms(open_time), _hms(close_time)
    rows = rows[(rows["time"] >= start) & (rows["time"] <= end)]
    agg = rows.groupby(KEY, sort=True, observed=True)[list(METRICS)].mean().reset_index()
    agg["offset"] = agg["offset"].astype("int64")
    agg["expiry_tag"] = agg["expiry_tag"].astype(str)
    return agg


def _hms(moment: time) -> str:
    return moment.strftime("%H:%M:%S")


GATE_COLUMNS = (*ROW_KEY, "source")
"""Besides the aggregate's own columns, what the fold's own check of the rows reads (`seal.fold_refusal`)."""


def _sealed_aggregate(
    location: DataLocation, day: date, index: str, calendar: MarketCalendar
) -> tuple[pd.DataFrame, tuple[str, ...]] | Issue:
    """The day's aggregate over the regular session hours and its sources, from its sealed file, or why it is
    not folded: no readable sealed file, or a failed blocking check (`seal.fold_refusal`)."""
    sealed = location.sealed_file(OPTIONS, day, index)
    if not location.exists(sealed):
        return Issue("critical", f"no sealed option file for {index} on {day.isoformat()}: {sealed}")
    try:
        data = location.read_bytes(sealed)
        present = set(pq.read_schema(pa.BufferReader(data)).names)
        wanted = list(dict.fromkeys(c for c in (*OPTION_ROW_COLUMNS, *GATE_COLUMNS) if c in present))
        options = conform(pq.read_table(pa.BufferReader(data), columns=wanted)).to_pandas()
    except Exception as exc:
        return Issue("critical", f"cannot read {sealed}: {exc}")
    refused = fold_refusal(location, day, index, options)
    if refused:
        return Issue("critical", f"not folded: {refused}")
    options = options.reindex(columns=[*OPTION_ROW_COLUMNS, *(c for c in wanted if c not in OPTION_ROW_COLUMNS)])
    return day_aggregate(options, calendar.open_time, calendar.close_time), _sources_of(options)


Found = tuple[pd.DataFrame, tuple[str, ...]] | Issue


def _record_day(
    location: DataLocation, day: date, index: str, found: Found, calendar: MarketCalendar
) -> tuple[int, list[Issue], tuple[str, ...]]:
    """Record that the day is folded (with its sources), or report why it cannot be; (rows, issues, sources)."""
    if isinstance(found, Issue):
        return 0, [found], ()
    agg, sources = found
    issues: list[Issue] = []
    if agg.empty:
        issues.append(
            Issue("warning", f"no rows between {_hms(calendar.open_time)} and {_hms(calendar.close_time)}")
        )
    missing_tp = int(agg["tp"].isna().sum())
    if missing_tp:
        issues.append(Issue("warning", f"{missing_tp} of {len(agg)} rows lack tp (a CE or PE leg missing)"))
    _write_record(location, day, index, sources)
    return len(agg), issues, sources


def _write_record(location: DataLocation, day: date, index: str, sources: tuple[str, ...]) -> None:
    """The day's record (it replaces a stored aggregate of an earlier version)."""
    record = {"day": day.isoformat(), "index": index, SOURCES_KEY: list(sources)}
    location.write_atomic(location.weekday_day_record(index, day), (json.dumps(record) + "\n").encode())
    location.remove(location.weekday_day_aggregate(index, day))


def _sources_of(options: pd.DataFrame) -> tuple[str, ...]:
    """The sorted sources of a day's rows (rows written before provenance count as 'unknown')."""
    if "source" not in options:
        return ("unknown",)
    return tuple(sorted(options["source"].fillna("unknown").astype(str).unique()))


def fold(aggregates: list[pd.DataFrame], alpha: float) -> pd.DataFrame:
    """Fold day aggregates (in date order) into running mean, EMA and counter per key."""
    if not aggregates:
        return pd.DataFrame(columns=[*KEY, *MASTER_COLUMNS[1:-3]])
    stacked = pd.concat([a.assign(_day=i) for i, a in enumerate(aggregates)], ignore_index=True)
    keys = stacked[KEY].drop_duplicates().sort_values(KEY, kind="stable", ignore_index=True)
    codes = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(stacked[KEY]))
    n_days, n_keys, n_metrics = len(aggregates), len(keys), len(METRICS)
    values = np.full((n_days, n_keys, n_metrics), np.nan)
    values[stacked["_day"].to_numpy(), codes, :] = stacked[list(METRICS)].to_numpy(float)
    present = np.zeros((n_days, n_keys), dtype=bool)
    present[stacked["_day"].to_numpy(), codes] = True
    mean = np.full((n_keys, n_metrics), np.nan)
    ema = np.full((n_keys, n_metrics), np.nan)
    seen = np.zeros((n_keys, n_metrics))
    for x in values:
        has = ~np.isnan(x)
        seen += has
        first = has & np.isnan(mean)
        with np.errstate(invalid="ignore"):
            mean = np.where(first, x, np.where(has, mean + (x - mean) / np.maximum(seen, 1), mean))
            ema = np.where(first, x, np.where(has, alpha * x + (1 - alpha) * ema, ema))
    out = keys.copy()
    for j, metric in enumerate(METRICS):
        out[f"{metric}_mean"] = mean[:, j]
        out[f"{metric}_ema"] = ema[:, j]
    out["counter"] = present.sum(axis=0)
    return out


def _master_lines(master: pd.DataFrame, index: str) -> list[bytes]:
    """Every master row as a CSV line (one pyarrow call for all series)."""
    columns: dict[str, object] = {
        "timestamp": pa.array(master["time"].astype(str).tolist(), type=pa.string())
    }
    for name in MASTER_COLUMNS[1:-4]:
        columns[name] = pa.array(master[name].to_numpy(float), from_pandas=True)
    columns["counter"] = pa.array(master["counter"].to_numpy(np.int64))
    columns["index"] = pa.array([index] * len(master), type=pa.string())
    columns["expiry_tag"] = pa.array(master["expiry_tag"].astype(str).tolist(), type=pa.string())
    columns["offset"] = pa.array([format_offset(o) for o in master["offset"].tolist()], type=pa.string())
    buffer = io.BytesIO()
    pacsv.write_csv(pa.table(columns), buffer, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return [line + b"\n" for line in buffer.getvalue().split(b"\n")[:-1]]


def rebuild_weekday(
    location: DataLocation,
    index: str,
    weekday: int,
    alpha: float,
    calendar: MarketCalendar,
    family: Family | None = None,
    known: dict[date, Found] | None = None,
) -> tuple[int, int, list[tuple[date, tuple[str, ...]]]]:
    """Rewrite every master file of one index and weekday from the sealed days recorded for it, of one source
    family (None: every day of a single family); `known` holds aggregates already read. Returns (rows, files,
    [(day folded, its sources)])."""
    if not 0 < alpha <= 1:
        raise ValueError(f"weekday master alpha must be in (0, 1], got {alpha}")
    known = dict(known or {})
    days = [d for d in location.weekday_aggregate_days(index) if d.weekday() == weekday]
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        unread = [d for d in days if d not in known]
        read = pool.map(lambda d: _sealed_aggregate(location, d, index, calendar), unread)
        known.update(zip(unread, read, strict=True))
    kept: list[tuple[date, pd.DataFrame, tuple[str, ...]]] = []
    for d in days:
        found = known[d]
        if isinstance(found, Issue):
            continue  # reported when that day is materialised; its record stays until the day is back
        if not location.exists(location.weekday_day_record(index, d)):
            _write_record(location, d, index, found[1])
        if in_family(found[1], family):
            kept.append((d, *found))
    master = fold([frame for _, frame, _ in kept], alpha)
    name = WEEKDAY_NAMES[weekday]
    written: set[tuple[str, int]] = set()
    lines = _master_lines(master, index)
    tags, offsets = master["expiry_tag"].astype(str).tolist(), master["offset"].astype(int).tolist()
    starts = [i for i in range(len(tags)) if i == 0 or (tags[i], offsets[i]) != (tags[i - 1], offsets[i - 1])]
    for a, b in itertools.pairwise([*starts, len(tags)]):
        path = location.weekday_master_file(index, tags[a], offsets[a], name)
        location.write_atomic(path, MASTER_HEADER + b"".join(lines[a:b]))
        written.add((tags[a], offsets[a]))
    _remove_stale(location, index, name, written)
    return len(master), len(written), [(d, sources) for d, _, sources in kept]


def _remove_stale(location: DataLocation, index: str, weekday: str, keep: set[tuple[str, int]]) -> None:
    for tag, offset in location.weekday_master_series(index):
        if (tag, offset) not in keep:
            location.remove(location.weekday_master_file(index, tag, offset, weekday))


def _write_quality(location: DataLocation, report: WeekdayMasterReport) -> WeekdayMasterReport:
    path = location.weekday_quality_file(report.index, report.day)
    final = WeekdayMasterReport(**{**report.__dict__, "quality_path": str(path)})
    text = json.dumps(final.as_dict(), indent=2, sort_keys=True, default=str) + "\n"
    location.write_atomic(path, text.encode())
    return final


def update_weekday_master(
    location: DataLocation,
    day: date,
    index: str,
    alpha: float,
    calendar: MarketCalendar,
    family: Family | None = None,
) -> WeekdayMasterReport:
    """Fold one sealed day of one index into its weekday's master (idempotent, order-independent).

    Rows count from the calendar's regular open to its close, both included.
    """
    return update_range(location, [day], index, alpha, calendar, family=family)[0]


def update_range(
    location: DataLocation,
    days: Iterable[date],
    index: str,
    alpha: float,
    calendar: MarketCalendar,
    family: Family | None = None,
) -> list[WeekdayMasterReport]:
    """Materialise many days of one index at once: every day's aggregate, then each weekday rebuilt once
    from the days of `family` (None: every day of a single family).

    Rows count from the calendar's regular open to its close, both included.
    """
    wanted = sorted(set(days))
    known = {d: _sealed_aggregate(location, d, index, calendar) for d in wanted}
    found = {d: _record_day(location, d, index, known[d], calendar) for d in wanted}
    rebuilt: dict[int, tuple[int, int, list[tuple[date, tuple[str, ...]]]]] = {}
    for weekday in sorted({d.weekday() for d in wanted}):
        rebuilt[weekday] = rebuild_weekday(location, index, weekday, alpha, calendar, family, known)
    reports = []
    for d in wanted:
        rows, issues, sources = found[d]
        master_rows, files, folded = rebuilt[d.weekday()]
        if sources and not in_family(sources, family):
            issues = [
                *issues,
                Issue(
                    "warning",
                    f"holds {', '.join(sources)} rows: not folded into the "
                    f"{family or 'single-family'} weekday master",
                ),
            ]
        report = WeekdayMasterReport(
            day=d,
            index=index,
            weekday=WEEKDAY_NAMES[d.weekday()],
            rows=rows,
            master_rows=master_rows,
            files_written=files,
            days_folded=tuple(day for day, _ in folded),
            issues=tuple(issues),
            sources=sources,
            family=family or "any",
            sources_folded=tuple(s for _, s in folded),
        )
        reports.append(_write_quality(location, report))
    return reports
