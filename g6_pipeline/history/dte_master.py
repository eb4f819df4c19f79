"""The days-to-expiry master: the typical minute of an index's expiry at the same number of sessions to expiry.

The weekday master keys on the weekday, but since the weekly expiries moved a Monday can be 1 session to expiry
or 3, and a holiday-moved expiry makes a Monday a 0-DTE day. This master keys every overview minute by
(index, expiry tag, sessions to expiry, minute of session) (`instruments.dte`), so days alike in what is left
of their expiry are compared, whatever their weekday or the rules of their year. The sample files and the
bands computed from them are `storage.dte_samples`.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.history.weekday_master import Family, in_family
from g6_pipeline.instruments.dte import DTE_KEY_COLUMNS, dte_keys
from g6_pipeline.storage.dte_samples import DTE_METRICS, SAMPLE_COLUMNS, replace_day_samples
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OVERVIEW
from g6_pipeline.storage.reader import read_overview


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
            replace_day_samples(location, path, day, rows[list(SAMPLE_COLUMNS)])
            files += 1
        folds.append(DteFold(day, index, files=files, minutes=int(samples["minute_of_session"].nunique())))
    return folds
