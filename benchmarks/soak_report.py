"""What the soak found, read back from what G6 stored and recorded: per index the window's minutes collected
live, repaired (rows with source `kite_historical`, whichever path wrote them) and missing with the reason
(from the run records and the sensor's skipped ticks), duplicate rows in Parquet and duplicate minute lines
in the classic CSV, and stale live rows (fetched later than `collection.late_grace_seconds` after their minute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import REPAIR_SOURCE as REPAIRED
from g6_pipeline.storage.location import SEALED_NAME, DataLocation
from g6_pipeline.storage.parquet import (
    OPTIONS,
    OVERVIEW,
    StorageError,
    overlay_minutes,
    read_table,
    read_tables,
)
from g6_pipeline.storage.quarantine import quarantined_files
from g6_pipeline.storage.reader import read_day_table

KEY = ["timestamp", "index", "expiry", "strike", "side"]
"""What makes an options row unique."""


@dataclass
class IndexFigures:
    """One index over the soak window."""

    expected: int = 0
    live: int = 0
    repaired: int = 0
    missing: dict[str, str] = field(default_factory=dict)
    """HH:MM → reason."""
    duplicate_rows: int = 0
    stale_rows: int = 0
    unreadable: list[str] = field(default_factory=list)
    """Stored files the reader could not read (path: error)."""
    quarantined: list[str] = field(default_factory=list)
    """Slices G6 moved to the quarantine folder as unreadable (paths)."""


def _read_readable(location: DataLocation, table: str, day: Any, index: str, columns: list[str]) -> tuple[
        pd.DataFrame, list[str]]:
    """The day's rows of one table as G6's reader returns them; when it fails, the readable files alone
    (sealed file, then the minute slices over it) and the names of the unreadable ones."""
    try:
        return read_day_table(location, table, day, index, columns).to_pandas(), []
    except FileNotFoundError:
        return pd.DataFrame(columns=columns), []
    except (StorageError, pa.ArrowException, OSError) as exc:  # read_tables lets Arrow's own errors through
        problems = [str(exc)]
    folder = location.table_dir(table, day, index)
    base = None
    if SEALED_NAME in location.list_names(folder):
        try:
            base = read_table(location, folder / SEALED_NAME, columns)
        except StorageError as exc:
            problems.append(str(exc))
    good = []
    for name in location.minute_slice_names(folder):
        try:
            read_table(location, folder / name, ["timestamp"])
            good.append(folder / name)
        except StorageError as exc:
            problems.append(str(exc))
    table_ = overlay_minutes(base, read_tables(location, good, columns)) if good else base
    frame = table_.to_pandas() if table_ is not None else pd.DataFrame(columns=columns)
    return frame, sorted(set(problems[1:])) or problems


def _stamps(frame: pd.DataFrame, column: str = "timestamp") -> pd.Series:
    return pd.to_datetime(frame[column]).dt.tz_convert(IST)


def index_figures(location: DataLocation, index: str, window: Sequence[datetime], grace: float | None,
                  reasons: Mapping[datetime, str]) -> IndexFigures:
    """The figures of one index; `reasons` explains the minutes not stored."""
    day = window[0].date()
    out = IndexFigures(expected=len(window))
    options, out.unreadable = _read_readable(location, OPTIONS, day, index, [*KEY, "source", "fetched_at"])
    overview, bad = _read_readable(location, OVERVIEW, day, index, ["timestamp", "source", "fetched_at"])
    out.unreadable += bad
    out.quarantined = quarantined_files(location, day, index)
    if len(options):
        options["timestamp"] = _stamps(options)
        out.duplicate_rows = int(options.duplicated(KEY).sum())
    if len(overview):
        overview["timestamp"] = _stamps(overview)
    sources = options.groupby("timestamp")["source"].agg(set).to_dict() if len(options) else {}
    reasons = {**reasons, **unreadable_minutes(out.unreadable, index, window)}
    for minute in window:
        got = sources.get(pd.Timestamp(minute), set())
        if got and got <= {REPAIRED}:
            out.repaired += 1
        elif got:
            out.live += 1
        else:
            out.missing[f"{minute:%H:%M}"] = reasons.get(minute, "not stored (no reason recorded)")
    if grace is not None:
        limit = timedelta(seconds=grace)
        for frame in (options, overview):
            if len(frame):
                live = frame.loc[frame["source"] != REPAIRED]
                late = _stamps(live, "fetched_at") - live["timestamp"] > limit
                out.stale_rows += int(late.sum())
    return out


def unreadable_minutes(problems: Sequence[str], index: str, window: Sequence[datetime]) -> dict[datetime, str]:
    """The window minutes whose stored slice of `index` is among the unreadable files, with the reason."""
    out = {}
    for minute in window:
        name = f"/{index}/{minute:%H%M}.parquet"
        hit = next((p for p in problems if name in p), None)
        if hit is not None:
            out[minute] = "stored slice unreadable: " + hit.split(": ", 1)[0]
    return out


def csv_duplicates(data: Path, day: Any) -> dict[str, int]:
    """Per classic CSV file of `day`, the minute lines that occur more than once (only files with any)."""
    out: dict[str, int] = {}
    for path in sorted((data / "g6_data").rglob(f"{day.isoformat()}.csv")):
        lines = path.read_text(errors="replace").splitlines()[1:]
        counts = Counter(line.split(",", 1)[0] for line in lines if line.strip())
        extra = sum(n - 1 for n in counts.values() if n > 1)
        if extra:
            out[str(path.relative_to(data))] = extra
    return out


def render(report: Mapping[str, Any]) -> str:
    """The printed table of a soak report (the dict `soak.py` writes with `--json`)."""
    lines = [f"G6 soak: {report['minutes']} minutes of {report['day']} from {report['window'][0]} IST "
             f"(clock offset {report['offset_seconds']} s), indices {', '.join(report['indices'])}"]
    lines += [f"  fault: {f}" for f in report["faults"]]
    head = f"{'index':<10} {'expected':>8} {'live':>6} {'repaired':>8} {'missing':>7} {'dup rows':>8} {'stale':>6}"
    lines += ["", head, "-" * len(head)]
    for name, f in [*report["per_index"].items(), ("total", report["total"])]:
        lines.append(f"{name:<10} {f['expected']:>8} {f['live']:>6} {f['repaired']:>8} {len(f['missing']):>7} "
                     f"{f['duplicate_rows']:>8} {f['stale_rows']:>6}")
    lines.append("")
    for name, f in report["per_index"].items():
        for reason, minutes in _group(f["missing"]).items():
            lines.append(f"  missing {name} {', '.join(minutes)}: {reason}")
    lines.append(f"  duplicate minute lines in classic CSV: {sum(report['csv_duplicates'].values())}")
    lines.append(f"  corrupted file: {report['corrupted'] or 'none'}")
    for name, f in report["per_index"].items():
        lines += [f"  unreadable {name}: {problem}" for problem in f["unreadable"]]
        lines += [f"  quarantined by G6 {name}: {path}" for path in f["quarantined"]]
    lines += [f"  event {name}: {done or 'not reached'}" for name, done in report["events"].items()]
    lines += [f"  seal {name}: {text}" for name, text in report["seal"].items()]
    lines.append(f"  repair: {report['repair']['how']} (exit {report['repair']['exit']})")
    lines += [f"    {line}" for line in report["repair"]["output"]]
    lines.append(f"  peak RSS (MiB, VmHWM): {_rss(report['rss'])}; tree total {report['rss_tree_total_mib']}")
    lines.append(f"  alerts fired: {len(report['alerts'])}")
    lines += [f"    {a['severity']} {a['kind']} {a['index'] or ''} first {a['first']} for {a['cycles']} "
              f"cycle(s): {a['message']}" for a in report["alerts"]]
    lines.append(f"  minute runs: {report['runs']}")
    phases = ", ".join(f"{k} {v} s" for k, v in report["phases"].items())
    lines.append(f"  wall time {report['wall_seconds']:.0f} s ({phases})")
    return "\n".join(lines)


def _group(missing: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for minute, reason in sorted(missing.items()):
        out.setdefault(reason, []).append(minute)
    return out


def _rss(by_kind: Mapping[str, Mapping[str, float]]) -> str:
    return ", ".join(f"{kind} {v['peak_mib']:.0f} ({int(v['processes'])} proc)" for kind, v in sorted(by_kind.items()))


def totals(per_index: Mapping[str, IndexFigures]) -> dict[str, Any]:
    """The sum over the indices (missing as 'INDEX HH:MM' → reason)."""
    out: dict[str, Any] = {"expected": 0, "live": 0, "repaired": 0, "missing": {}, "duplicate_rows": 0,
                           "stale_rows": 0}
    for name, f in per_index.items():
        for key in ("expected", "live", "repaired", "duplicate_rows", "stale_rows"):
            out[key] += getattr(f, key)
        out["missing"].update({f"{name} {m}": r for m, r in f.missing.items()})
    return out
