"""The days-to-expiry master's sample files and the bands read from them.

One file per (index, expiry tag, sessions to expiry), `dte_master/<INDEX>/<tag>/dte=NN.parquet`
(`DataLocation.dte_sample_file`), a row per folded day and minute of session with the day's source and the
metrics; the fold (`history.dte_master`) replaces one day's rows of a file under the file's lock, and a reader
computes the bands of one file exactly (`bands`).
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from g6_pipeline.storage.location import DataLocation
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
"""The columns of a sample file."""


def replace_day_samples(location: DataLocation, path: UPath, day: date, rows: pd.DataFrame) -> None:
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


def read_dte_master(location: DataLocation, index: str, expiry_tag: str, sessions_to_expiry: int) -> pd.DataFrame:
    """The bands of one (index, expiry tag, sessions to expiry) (`bands`); empty when nothing was folded there."""
    return bands(read_samples(location, location.dte_sample_file(index, expiry_tag, int(sessions_to_expiry))))


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
