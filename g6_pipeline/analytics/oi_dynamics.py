"""Intraday OI dynamics, computed on read from a day's stored minute rows: OI change by strike since the open
and over the last 1, 5, 15 and 30 minutes.

A contract is identified by its expiry tag, expiry, strike and side. Its change over k minutes at minute t is
OI(t) − OI(t − k) for the same contract, when minute t − k is stored; a change since the open is
OI(t) − OI at the day's first stored minute. When the earlier minute was not stored (a gap, a strike that
entered the window later) the change is NaN: never measured against a neighbouring minute, never 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

OI_INTERVALS: tuple[int, ...] = (1, 5, 15, 30)
"""The look-backs, in minutes, traders read OI change over."""
CONTRACT_KEYS: tuple[str, ...] = ("expiry_tag", "expiry", "strike", "side")
OPEN = "open"
_INTERVAL = re.compile(r"^\s*(\d+)\s*m(in(ute)?s?)?\s*$", re.IGNORECASE)


def change_column(interval: int | str) -> str:
    """The column of `oi_changes` holding one interval: `oi_change_open`, `oi_change_15m`."""
    return f"oi_change_{OPEN}" if interval == OPEN else f"oi_change_{int(interval)}m"


def parse_interval(text: str) -> int | str:
    """`15m`, `15min`, `15` → 15; `open` → "open"; anything else raises ValueError naming the text."""
    value = text.strip().lower()
    if value == OPEN:
        return OPEN
    match = _INTERVAL.match(value) or re.match(r"^\s*(\d+)\s*$", value)
    if match is None or int(match[1]) <= 0:
        raise ValueError(f"not an OI-change interval: {text!r} (use open, or minutes such as 1m, 5m, 15m, 30m)")
    return int(match[1])


def oi_changes(rows: pd.DataFrame, intervals: Sequence[int] = OI_INTERVALS) -> pd.DataFrame:
    """Each row's OI change since the open and over each interval (see the module docstring).

    `rows`: option rows of one index (at least `timestamp`, `CONTRACT_KEYS` and `oi`), one or more days.
    Returns `timestamp`, `CONTRACT_KEYS`, `oi`, `oi_change_open` and one `oi_change_<k>m` per interval, in
    the order of `rows`. Raises ValueError when a contract appears twice in one minute.
    """
    keys = [*CONTRACT_KEYS, "timestamp"]
    base = rows.loc[:, [*keys, "oi"]].reset_index(drop=True)
    dup = base.duplicated(keys)
    if dup.any():
        first = base.loc[dup].iloc[0]
        raise ValueError(f"the contract {first['expiry']} {first['strike']:g} {first['side']} "
                         f"({first['expiry_tag']}) appears twice at {first['timestamp']}")
    out = base.copy()
    stamps = base["timestamp"]
    opens = stamps.groupby(pd.DatetimeIndex(stamps).date).transform("min")
    out[change_column(OPEN)] = base["oi"] - _earlier(base, keys, opens)
    for k in intervals:
        out[change_column(k)] = base["oi"] - _earlier(base, keys, stamps - pd.Timedelta(minutes=int(k)))
    return out


def _earlier(base: pd.DataFrame, keys: list[str], at: pd.Series) -> pd.Series:
    """The OI of each row's contract at the minute `at` of that row (NaN when that minute has no row of it)."""
    probe = base.loc[:, list(CONTRACT_KEYS)].assign(timestamp=at.array)
    found = probe.merge(base.rename(columns={"oi": "earlier"}), on=keys, how="left", validate="many_to_one")
    return pd.Series(found["earlier"].to_numpy(np.float64), index=base.index)


def oi_change_by_strike(
    changes: pd.DataFrame, minute: pd.Timestamp | None = None, interval: int | str = OPEN,
    expiry_tag: str | None = None,
) -> pd.DataFrame:
    """One minute of `oi_changes` as a strike ladder: `strike`, `ce_oi`, `pe_oi`, `ce_change`, `pe_change`.

    `minute`: the minute to show (default the last one); `expiry_tag`: one tag (default every tag, which then
    must not list the same strike twice — pass a tag when the rows hold several expiries).
    """
    column = change_column(interval)
    if column not in changes.columns:
        raise ValueError(f"no OI change over {interval!r} in these rows (have: "
                         f"{', '.join(c for c in changes.columns if c.startswith('oi_change_'))})")
    rows = changes if expiry_tag is None else changes.loc[changes["expiry_tag"] == expiry_tag]
    at = rows["timestamp"].max() if minute is None else minute
    rows = rows.loc[rows["timestamp"] == at]
    if rows.duplicated(["strike", "side"]).any():
        raise ValueError("the rows hold several expiries at one strike: pass the expiry_tag to show")
    ladder = rows.pivot(index="strike", columns="side", values=["oi", column])
    out = pd.DataFrame({"strike": ladder.index.to_numpy(np.float64)})
    for side, prefix in (("CE", "ce"), ("PE", "pe")):
        for value, name in (("oi", "oi"), (column, "change")):
            out[f"{prefix}_{name}"] = ladder[(value, side)].to_numpy(np.float64) if (value, side) in ladder else np.nan
    return out
