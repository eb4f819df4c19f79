"""The weekday master: for each series and time of day, the mean and the EMA of the straddle and the per-side
metrics over every stored day with the same weekday.

Key: (index, expiry tag, offset, weekday, time of day). Each day is reduced to an aggregate (rows at the same time
averaged), read from the day's sealed Parquet, the source of truth, and kept to the calendar's regular session
hours (open to close, both included). Materialising a day records it under
`weekday_master/_days/<INDEX>/<YYYY-MM-DD>.json` (a few bytes: the day and its sources). The days of a weekday
are folded in date order: `counter += 1; mean += (x − mean)/counter; ema = α·x + (1 − α)·ema` (the first day
sets both). A value missing on a day (NaN) leaves that metric's mean and EMA as they were; it is never counted as
zero.

The fold is kept as running state per index and weekday (`weekday_master/_state/<INDEX>/<WEEKDAY>.parquet`, see
`running_master`: the means, EMAs and counts per key, and the ledger of the weekday's days with a digest of each
day's aggregate), so a new day later than every folded day of its weekday is folded from its own aggregate alone,
whatever the length of the history. A day earlier than the latest folded one, a folded day materialised again
with other content (or now refused, or whose sealed file is gone), another α, family or session hours: the
weekday is replayed from its first recorded day through the same update. So materialising a day twice, or days
in any order, writes byte-identical files. A sealed day changed after it was folded counts as changed once it
is materialised again (as the daily automation does after each seal).

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
from dataclasses import asdict, dataclass, field
from datetime import date, time
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.history.running_master import (
    FOLDED,
    LEFT_OUT,
    MISSING,
    REFUSED,
    DayEntry,
    DayRead,
    Group,
    RunningStats,
    digest,
    fold_group,
)
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


Outcome = tuple[int, list[Issue], tuple[str, ...]]
"""What materialising one day found: (aggregate rows, issues, sources)."""


def _outcome(agg: pd.DataFrame, sources: tuple[str, ...], calendar: MarketCalendar) -> Outcome:
    """The rows, warnings and sources of a day that could be read."""
    issues: list[Issue] = []
    if agg.empty:
        issues.append(
            Issue("warning", f"no rows between {_hms(calendar.open_time)} and {_hms(calendar.close_time)}")
        )
    missing_tp = int(agg["tp"].isna().sum())
    if missing_tp:
        issues.append(Issue("warning", f"{missing_tp} of {len(agg)} rows lack tp (a CE or PE leg missing)"))
    return len(agg), issues, sources


@dataclass
class _DayReader:
    """Reads a day for the fold (`running_master.Reader`): its aggregate from the sealed file, its ledger entry,
    its record written; for the days being materialised, what was found (`outcomes`)."""

    location: DataLocation
    index: str
    calendar: MarketCalendar
    family: Family | None
    wanted: set[date]
    outcomes: dict[date, Outcome] = field(default_factory=dict)

    def __call__(self, day: date) -> DayRead:
        found = _sealed_aggregate(self.location, day, self.index, self.calendar)
        if isinstance(found, Issue):
            if day in self.wanted:
                self.outcomes[day] = (0, [found], ())
            recorded = (self.location.weekday_day_record(self.index, day),
                        self.location.weekday_day_aggregate(self.index, day))
            if not any(self.location.exists(path) for path in recorded):
                return DayRead(day, None)
            return DayRead(day, DayEntry(REFUSED if self.present(day) else MISSING))
        agg, sources = found
        if day in self.wanted:
            self.outcomes[day] = _outcome(agg, sources, self.calendar)
        if day in self.wanted or not self.location.exists(self.location.weekday_day_record(self.index, day)):
            _write_record(self.location, day, self.index, sources)
        status = FOLDED if in_family(sources, self.family) else LEFT_OUT
        return DayRead(day, DayEntry(status, digest(agg, sources), sources), agg if status == FOLDED else None)

    def present(self, day: date) -> bool:
        """Whether the day's sealed file exists."""
        return self.location.exists(self.location.sealed_file(OPTIONS, day, self.index))


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
    """Materialise many days of one index at once, each weekday's master brought up to date once from the days
    of `family` (None: every day of a single family): days later than every folded day of their weekday are
    folded from their own aggregate; anything else replays the weekday from its first recorded day.

    Rows count from the calendar's regular open to its close, both included.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"weekday master alpha must be in (0, 1], got {alpha}")
    wanted = sorted(set(days))
    params = {"alpha": alpha, "family": family, "open": _hms(calendar.open_time),
              "close": _hms(calendar.close_time), "key": KEY, "metrics": METRICS}
    read = _DayReader(location, index, calendar, family, set(wanted))
    folded = {weekday: _fold_weekday(location, index, weekday, [d for d in wanted if d.weekday() == weekday],
                                     params, read)
              for weekday in sorted({d.weekday() for d in wanted})}
    reports = []
    for d in wanted:
        rows, issues, sources = read.outcomes[d]
        master_rows, files, days_folded = folded[d.weekday()]
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
            days_folded=tuple(day for day, _ in days_folded),
            issues=tuple(issues),
            sources=sources,
            family=family or "any",
            sources_folded=tuple(s for _, s in days_folded),
        )
        reports.append(_write_quality(location, report))
    return reports


Folded = tuple[int, int, list[tuple[date, tuple[str, ...]]]]
"""What folding one weekday wrote: (master rows, files, [(day folded, its sources)])."""


def _fold_weekday(
    location: DataLocation, index: str, weekday: int, wanted: list[date], params: dict[str, Any], read: _DayReader
) -> Folded:
    """Bring one weekday's state up to date with `wanted` (`running_master.fold_group`) and write its files."""

    def recorded() -> list[date]:
        return [d for d in location.weekday_aggregate_days(index) if d.weekday() == weekday]

    def write(stats: RunningStats) -> tuple[int, int]:
        return _write_master(location, index, weekday, stats.frame())

    path = location.weekday_state_file(index, WEEKDAY_NAMES[weekday])
    group = Group(path, params, KEY, METRICS, recorded, read, read.present)
    state, (rows, files) = fold_group(location, group, wanted, write)
    return rows, files, [(d, entry.sources) for d, entry in state.folded()]


def _write_master(location: DataLocation, index: str, weekday: int, master: pd.DataFrame) -> tuple[int, int]:
    """Write one weekday's master files, one per series, and remove those of series no longer in it; (rows,
    files)."""
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
    return len(master), len(written)
