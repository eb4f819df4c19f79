"""The days-to-expiry master: the typical minute of an index's expiry at the same number of sessions to expiry.

The weekday master keys on the weekday, but since the weekly expiries moved a Monday can be 1 session to expiry
or 3, and a holiday-moved expiry makes a Monday a 0-DTE day. This master keys every overview minute by
(index, expiry tag, sessions to expiry, minute of session) (`instruments.dte`), so days alike in what is left
of their expiry are compared, whatever their weekday or the rules of their year.

Per key it gives the mean and the 10th, 50th and 90th percentiles of the ATM straddle, the ATM IV, the PCR and
the open interest (calls + puts) of the tag. Percentiles need the values themselves, so the master keeps them:
one sample file per (index, expiry tag, sessions to expiry), `dte_master/<INDEX>/<tag>/dte=NN.parquet`, a row
per folded day and minute. Folding a day touches only the files of its own keys (one per expiry tag it
lists): it replaces that day's rows there, so a fold is idempotent, order-independent and does not read the rest
of history; the bands are computed when read (`load_dte_master`), exactly, from the one file asked for.

Only sealed minutes of one source family are folded: a day's stale minutes (a frozen feed) are left out, and
collected and simulated days are kept apart (`family`: the same rule as the weekday master's).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.history.weekday_master import Family, in_family
from g6_pipeline.instruments.dte import DTE_KEY_COLUMNS, dte_keys
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OVERVIEW
from g6_pipeline.storage.reader import read_overview
from g6_pipeline.storage.writer import state_lock

DTE_METRICS: dict[str, tuple[str, ...]] = {
    "straddle": ("straddle_{tag}",),
    "atm_iv": ("atm_iv_{tag}",),
    "pcr": ("pcr_{tag}",),
    "oi": ("ce_oi_{tag}", "pe_oi_{tag}"),
}
"""Each metric of the master and the overview columns it is made of (summed when more than one)."""
BANDS: tuple[tuple[str, float], ...] = (("p10", 0.10), ("p50", 0.50), ("p90", 0.90))
"""The percentile bands the master reports beside the mean."""
SAMPLE_COLUMNS: tuple[str, ...] = ("day", "minute_of_session", "source", *DTE_METRICS)


@dataclass(frozen=True)
class DteFold:
    """What folding one (day, index) did: the sample files it wrote and the minutes it folded, or why not."""

    day: date
    index: str
    files: int = 0
    minutes: int = 0
    skipped: str | None = None


def day_samples(overview: pd.DataFrame, calendar: MarketCalendar) -> pd.DataFrame:
    """The master's rows of one sealed day of one index: its keys (`DTE_KEY_COLUMNS`), `day`, `source` and the
    metrics, a row per fresh minute and expiry tag that lists an expiry (stale minutes are left out)."""
    fresh = overview.loc[~overview["stale"].fillna(False).astype(bool)] if "stale" in overview else overview
    fresh = fresh.reset_index(drop=True)
    keys = dte_keys(fresh, calendar)
    frames = []
    stamps = pd.DatetimeIndex(fresh["timestamp"])
    for tag in EXPIRY_TAGS:
        mine = keys.loc[(keys["expiry_tag"] == tag) & keys["sessions_to_expiry"].notna()
                        & keys["minute_of_session"].notna()]
        if mine.empty:
            continue
        rows = fresh.loc[stamps.get_indexer(pd.DatetimeIndex(mine["timestamp"]))].reset_index(drop=True)
        frame = mine[list(DTE_KEY_COLUMNS)].reset_index(drop=True).astype(
            {"sessions_to_expiry": "int64", "minute_of_session": "int64"})
        frame["day"] = stamps[0].date()
        frame["source"] = rows["source"].astype(str).to_numpy()
        for metric, columns in DTE_METRICS.items():
            parts = [pd.to_numeric(rows[c.format(tag=tag)], errors="coerce") for c in columns]
            frame[metric] = sum(parts[1:], parts[0]).astype(float).to_numpy()
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*DTE_KEY_COLUMNS, *SAMPLE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def fold_dte_days(
    location: DataLocation, days: Iterable[date], index: str, calendar: MarketCalendar, family: Family | None = None
) -> list[DteFold]:
    """Fold sealed days of one index into the days-to-expiry master (idempotent, order-independent); a day
    with no sealed overview or of another source family is skipped, saying why."""
    folds = []
    for day in sorted(set(days)):
        if not location.exists(location.sealed_file(OVERVIEW, day, index)):
            folds.append(DteFold(day, index, skipped="not sealed"))
            continue
        samples = day_samples(read_overview(location, day, index), calendar)
        sources = tuple(sorted(set(samples["source"]))) if len(samples) else ()
        if sources and not in_family(sources, family):
            folds.append(DteFold(day, index, skipped=f"holds {', '.join(sources)} rows, not of the "
                                                     f"{family or 'single-family'} master"))
            continue
        files = 0
        for (tag, dte), rows in samples.groupby(["expiry_tag", "sessions_to_expiry"], sort=True):
            path = location.dte_sample_file(index, str(tag), int(str(dte)))
            _replace_day(location, path, day, rows[list(SAMPLE_COLUMNS)])
            files += 1
        folds.append(DteFold(day, index, files=files, minutes=int(samples["minute_of_session"].nunique())))
    return folds


def _replace_day(location: DataLocation, path: UPath, day: date, rows: pd.DataFrame) -> None:
    """Replace `day`'s rows of one sample file by `rows`, under the file's lock, keeping it sorted."""
    with state_lock(location, path):
        kept = read_samples(location, path)
        kept = kept.loc[kept["day"] != day] if len(kept) else kept
        merged = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows.reset_index(drop=True)
        merged = merged.sort_values(["day", "minute_of_session"], kind="stable").reset_index(drop=True)
        table = pa.Table.from_pandas(merged.astype({"day": "object"}), preserve_index=False)
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        location.write_atomic(path, sink.getvalue())


def read_samples(location: DataLocation, path: UPath) -> pd.DataFrame:
    """The rows of one sample file (empty with the sample columns when it does not exist)."""
    if not location.exists(path):
        return pd.DataFrame(columns=list(SAMPLE_COLUMNS))
    frame = pq.read_table(io.BytesIO(location.read_bytes(path))).to_pandas()
    frame["day"] = [d if isinstance(d, date) else pd.Timestamp(d).date() for d in frame["day"]]
    return frame


def bands(samples: pd.DataFrame) -> pd.DataFrame:
    """Per minute of session: the number of days, then for each metric its mean and percentile bands
    (`<metric>_mean`, `<metric>_p10`, `<metric>_p50`, `<metric>_p90`; linear interpolation, NaN ignored)."""
    if samples.empty:
        columns = ["minute_of_session", "days",
                   *[f"{m}_{b}" for m in DTE_METRICS for b in ("mean", *(name for name, _ in BANDS))]]
        return pd.DataFrame(columns=columns)
    grouped = samples.groupby("minute_of_session", sort=True)
    out = pd.DataFrame({"days": grouped["day"].nunique()})
    for metric in DTE_METRICS:
        out[f"{metric}_mean"] = grouped[metric].mean()
        for name, q in BANDS:
            out[f"{metric}_{name}"] = grouped[metric].quantile(q)
    return out.reset_index()
