"""The classic CSV rows: the original's header, CE and PE side by side per strike, and fast text formatting.

Values are rounded for people (prices 2 decimals, IV and Greeks 6 to 8, percentages 4) and written by pyarrow's
CSV writer in one call per batch; a missing value is an empty field, never 0.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.storage.location import format_offset
from g6_pipeline.util.numeric import finite_float

SIDE_METRICS: tuple[str, ...] = ("vol", "oi", "iv", "delta", "theta", "vega", "gamma", "rho")
"""Per-side metrics of the classic row, in the original's order (each written ce_ then pe_)."""
_SOURCE = {"vol": "volume", "oi": "oi", "iv": "iv", "delta": "delta", "theta": "theta", "vega": "vega",
           "gamma": "gamma", "rho": "rho"}  # fmt: skip
CHANGE_COLUMNS: tuple[str, ...] = ("tp_net_change", "tp_day_change", "tp_net_change_pct", "tp_day_change_pct")
CLASSIC_COLUMNS: tuple[str, ...] = (
    "timestamp", "index", "expiry_tag", "expiry_date", "offset", "index_price", "atm", "strike",
    "ce", "pe", "tp", "avg_ce", "avg_pe", "avg_tp",
    *[f"{side}_{m}" for m in SIDE_METRICS for side in ("ce", "pe")],
    *CHANGE_COLUMNS,
)  # fmt: skip
CLASSIC_HEADER = (",".join(CLASSIC_COLUMNS) + "\n").encode()
TP_FIELD = CLASSIC_COLUMNS.index("tp")

OVERVIEW_CSV_COLUMNS: tuple[str, ...] = (
    "timestamp", "index", *[f"pcr_{tag}" for tag in EXPIRY_TAGS], "day_width", "index_price",
    "index_net_change", "index_day_change", "VIX", "expiries_expected", "expiries_collected",
    "expected_mask", "collected_mask", "missing_mask",
)  # fmt: skip
OVERVIEW_CSV_HEADER = (",".join(OVERVIEW_CSV_COLUMNS) + "\n").encode()

_DECIMALS: dict[str, int] = {
    "index_price": 2, "atm": 2, "strike": 2, "ce": 2, "pe": 2, "tp": 2, "avg_ce": 2, "avg_pe": 2, "avg_tp": 2,
    "tp_net_change": 2, "tp_day_change": 2, "tp_net_change_pct": 4, "tp_day_change_pct": 4,
    "day_width": 2, "index_net_change": 2, "index_day_change": 2, "VIX": 2,
    **{f"pcr_{tag}": 4 for tag in EXPIRY_TAGS},
    **{f"{s}_iv": 6 for s in ("ce", "pe")}, **{f"{s}_delta": 6 for s in ("ce", "pe")},
    **{f"{s}_gamma": 8 for s in ("ce", "pe")}, **{f"{s}_{m}": 6 for s in ("ce", "pe") for m in ("theta", "vega", "rho")},
}  # fmt: skip
_INTEGERS = frozenset(
    {"ce_vol", "pe_vol", "ce_oi", "pe_oi", "expiries_expected", "expiries_collected", "expected_mask",
     "collected_mask", "missing_mask"}
)  # fmt: skip
KEY_COLUMNS = ["timestamp", "index", "expiry_tag", "expiry", "offset", "strike", "index_price", "atm"]
OPTION_ROW_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "side", "last_price", "average_price", *_SOURCE.values())
"""The option columns `option_rows` reads."""


def classic_timestamp(stamps: pd.Series) -> pd.Series:
    """`dd-mm-YYYY HH:MM:SS` in Asia/Kolkata (the original's file timestamp)."""
    codes, uniques = pd.factorize(pd.DatetimeIndex(stamps).tz_convert(MARKET_TZ_NAME))
    texts = pd.DatetimeIndex(uniques).strftime("%d-%m-%Y %H:%M:%S")
    return pd.Series(np.asarray(texts, dtype=object)[codes], index=stamps.index)


def option_rows(options: pd.DataFrame) -> pd.DataFrame:
    """One row per (minute, expiry tag, offset) with CE and PE side by side (a missing leg leaves NaN)."""
    legs = options.drop_duplicates(subset=[*KEY_COLUMNS, "side"], keep="last")
    wanted = list(OPTION_ROW_COLUMNS[len(KEY_COLUMNS) + 1 :])
    sides = {}
    for side in ("CE", "PE"):
        part = legs.loc[legs["side"] == side, [*KEY_COLUMNS, *wanted]]
        prefix = side.lower()
        rename = {"last_price": prefix, "average_price": f"avg_{prefix}"}
        rename.update({src: f"{prefix}_{m}" for m, src in _SOURCE.items()})
        sides[side] = part.rename(columns=rename)
    rows = sides["CE"].merge(sides["PE"], on=KEY_COLUMNS, how="outer", sort=False)
    rows["tp"] = np.round(rows["ce"].to_numpy(float) + rows["pe"].to_numpy(float), 2)
    rows["avg_tp"] = rows["avg_ce"].to_numpy(float) + rows["avg_pe"].to_numpy(float)
    rows = rows.sort_values(["expiry_tag", "offset", "timestamp"], kind="stable", ignore_index=True)
    rows["expiry_date"] = pd.to_datetime(rows["expiry"]).dt.strftime("%Y-%m-%d")
    return rows


def changes(tp: np.ndarray, first_tp: np.ndarray, prev_tp: np.ndarray) -> dict[str, np.ndarray]:
    """tp vs the day's first tp and vs the previous session's last tp (NaN wherever a base is unknown)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        net = tp - prev_tp
        day = tp - first_tp
        net_pct = np.where(prev_tp != 0, net / prev_tp * 100.0, np.nan)
        day_pct = np.where(first_tp != 0, day / first_tp * 100.0, np.nan)
    return {
        "tp_net_change": net,
        "tp_day_change": day,
        "tp_net_change_pct": net_pct,
        "tp_day_change_pct": day_pct,
    }


def format_lines(columns: Mapping[str, Any], order: Sequence[str]) -> list[bytes]:
    """Format columns (numbers rounded per column, NaN → empty) as CSV lines, each ending in a newline."""
    arrays = []
    for name in order:
        values = columns[name]
        if name in _INTEGERS:
            num = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
            arrays.append(pa.array(np.round(num), from_pandas=True).cast(pa.int64()))
        elif name in _DECIMALS:
            num = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
            arrays.append(pa.array(np.round(num, _DECIMALS[name]), from_pandas=True))
        else:
            arrays.append(pa.array(pd.Series(values).astype(object), type=pa.string(), from_pandas=True))
    if not arrays or len(arrays[0]) == 0:
        return []
    buffer = io.BytesIO()
    table = pa.Table.from_arrays(arrays, names=list(order))
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return [line + b"\n" for line in buffer.getvalue().split(b"\n")[:-1]]


def classic_columns(rows: pd.DataFrame, change_values: Mapping[str, np.ndarray]) -> dict[str, object]:
    """The classic row columns (as `format_lines` takes them) from `option_rows` output and its changes."""
    cols: dict[str, object] = {name: rows[name] for name in CLASSIC_COLUMNS if name in rows.columns}
    cols["timestamp"] = classic_timestamp(rows["timestamp"])
    cols["offset"] = [format_offset(o) for o in rows["offset"].tolist()]
    cols.update(change_values)
    return cols


def overview_columns(overview: pd.DataFrame) -> dict[str, object]:
    """The overview CSV columns from overview rows (`OVERVIEW_SCHEMA` keys)."""
    cols: dict[str, object] = {
        "timestamp": classic_timestamp(overview["timestamp"]),
        "index": overview["index"],
    }
    for tag in EXPIRY_TAGS:
        cols[f"pcr_{tag}"] = overview[f"pcr_{tag}"]
    cols["VIX"] = overview["vix"]
    for name in OVERVIEW_CSV_COLUMNS[len(EXPIRY_TAGS) + 2 :]:
        if name != "VIX":
            cols[name] = overview[name]
    return cols


def line_key(line: bytes) -> bytes:
    """The timestamp field of a CSV line (rows are keyed by their minute)."""
    return line.split(b",", 1)[0]


def sort_key(key: bytes) -> bytes:
    """Order key of a `dd-mm-YYYY HH:MM:SS` timestamp: `YYYYmmdd HH:MM:SS`."""
    return key[6:10] + key[3:5] + key[0:2] + key[10:]


def field_float(line: bytes, position: int) -> float:
    """A numeric field of a CSV line (NaN when empty or not a number)."""
    return finite_float(line.split(b",")[position])
