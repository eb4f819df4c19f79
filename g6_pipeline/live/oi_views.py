"""Intraday OI dynamics on the chain screen: OI change over an interval, by strike and over the day.

The change of a contract's OI over an interval (`analytics.oi_dynamics`): since the day's first stored minute
(`open`) or over the last 1, 5, 15 or 30 minutes (`15m`), measured against the same contract at the earlier
minute; where that minute is not stored the change is None, never 0. `close` is the stored change since the
previous session's close (what the chain shows by default).

- `with_oi_interval`: a chain view (`chain_view.chain_view`) whose `oi_change` cells and totals are over the
  interval, saying so in `oi_change_basis` (`g6 chain --oi-change 15m`).
- `oi_interval_view`: the OI-by-strike view (`/api/oi?interval=15m`) with its change over the interval.
- `oi_day_view`: OI and OI change over the interval of chosen strikes at every stored minute of the day
  (`/api/oi_day`), for the multi-strike chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.analytics.oi_dynamics import OPEN, change_column, oi_changes, parse_interval
from g6_pipeline.core.clock import IST
from g6_pipeline.live.chain_view import ChainViewError, Selection, StoredDay, oi_view, value

CLOSE = "close"
"""The interval of the stored change: since the previous session's close."""
INTERVALS: tuple[str, ...] = (CLOSE, OPEN, "1m", "5m", "15m", "30m")
"""The intervals the screen offers (any whole number of minutes is accepted)."""
DAY_STRIKES = 2
"""Without chosen strikes, the OI-over-the-day view shows the ATM strike and this many either side."""
CONTRACT = ["expiry_tag", "expiry", "strike", "side"]


def interval_of(text: str | None) -> int | str:
    """`close` (None or ''), `open`, or whole minutes (`15m`, `15`); ChainViewError naming `interval` otherwise."""
    if not text or text.strip().lower() == CLOSE:
        return CLOSE
    try:
        return parse_interval(text)
    except ValueError as exc:
        raise ChainViewError("interval", f"{exc} (or close)") from None


def basis(interval: int | str) -> str:
    """The words for what an OI change is measured against."""
    if interval == CLOSE:
        return "since the previous close"
    return "since the open" if interval == OPEN else f"over the last {interval} min"


def label(interval: int | str) -> str:
    """`close`, `open` or `15m`."""
    return str(interval) if interval in (CLOSE, OPEN) else f"{interval}m"


def _tag_rows(stored: StoredDay, tag: str) -> pd.DataFrame:
    """The day's rows of one expiry tag, one per contract and minute."""
    rows = stored.options.loc[stored.options["expiry_tag"] == tag]
    return rows.drop_duplicates([*CONTRACT, "timestamp"], keep="last")


def _changes(rows: pd.DataFrame, interval: int | str) -> pd.DataFrame:
    """`rows` with their OI change over `interval` in `change` (None: not measured)."""
    if interval == CLOSE:
        return rows.assign(change=rows["oi_change"].astype("float64"))
    found = oi_changes(rows, [] if interval == OPEN else [int(interval)])
    return found.assign(change=found[change_column(interval)].to_numpy(np.float64))


def _at_minute(stored: StoredDay, sel: Selection, interval: int | str) -> dict[tuple[float, str], float | None]:
    """(strike, side) → OI change over `interval` at the selection's minute: measured on that minute and the one
    the interval reaches back to (the day's first for `open`), the only two a change needs."""
    rows = _tag_rows(stored, sel.expiry_tag)
    if interval == CLOSE:
        wanted = [sel.timestamp]
    elif interval == OPEN:
        wanted = [rows["timestamp"].min(), sel.timestamp]
    else:
        wanted = [sel.timestamp - pd.Timedelta(minutes=int(interval)), sel.timestamp]
    both = _changes(rows.loc[rows["timestamp"].isin(wanted)], interval)
    now = both.loc[both["timestamp"] == sel.timestamp]
    return {(float(k), str(s)): value(c) for k, s, c in zip(now["strike"], now["side"], now["change"], strict=True)}


def with_oi_interval(view: dict[str, Any], sel: Selection, interval: int | str) -> dict[str, Any]:
    """`view` (a chain view of `sel`) with its `oi_change` cells and totals over `interval`."""
    out = {**view, "oi_change_basis": basis(interval), "oi_interval": label(interval)}
    if interval == CLOSE:
        return out
    changes = _at_minute(sel.stored, sel, interval)
    rows = []
    for row in view["rows"]:
        ce, pe = dict(row["ce"]), dict(row["pe"])
        ce["oi_change"], pe["oi_change"] = changes.get((row["strike"], "CE")), changes.get((row["strike"], "PE"))
        rows.append({**row, "ce": ce, "pe": pe})
    totals = {side: dict(view["totals"][side]) for side in ("ce", "pe")}
    for side in ("ce", "pe"):
        known = [r[side]["oi_change"] for r in rows if r[side]["oi_change"] is not None]
        totals[side]["oi_change"] = float(sum(known)) if known else None
    return {**out, "rows": rows, "totals": totals}


def oi_interval_view(sel: Selection, interval: int | str) -> dict[str, Any]:
    """CE and PE OI by strike of the selection with their change over `interval` (`oi_view` for `close`)."""
    view = {**oi_view(sel), "interval": label(interval), "basis": basis(interval)}
    if interval == CLOSE:
        return view
    changes = _at_minute(sel.stored, sel, interval)
    for side in ("CE", "PE"):
        view[f"{side.lower()}_oi_change"] = [changes.get((k, side)) for k in view["strikes"]]
    return view


def parse_strikes(text: str | None) -> list[float] | None:
    """`25900,26000` → [25900.0, 26000.0]; None for None or ''; ChainViewError naming `strikes` otherwise."""
    if not text:
        return None
    try:
        strikes = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ChainViewError("strikes", f"strikes must be numbers separated by commas, got {text!r}") from None
    if not strikes or any(not np.isfinite(k) or k <= 0 for k in strikes):
        raise ChainViewError("strikes", f"strikes must be positive numbers, got {text!r}")
    return strikes


def oi_day_view(sel: Selection, interval: int | str = OPEN, strikes: Sequence[float] | None = None) -> dict[str, Any]:
    """OI and OI change over `interval` of chosen strikes (default: ATM ± `DAY_STRIKES` at the selection's
    minute) of the selection's expiry tag, at every stored minute of its day up to the selection's minute."""
    stored, tag = sel.stored, sel.expiry_tag
    rows = _tag_rows(stored, tag)
    rows = rows.loc[rows["timestamp"] <= sel.timestamp]
    chosen = _chosen_strikes(sel, rows, strikes)
    found = _changes(rows.loc[rows["strike"].isin(chosen)], interval)
    stamps = pd.DatetimeIndex(rows["timestamp"].unique()).sort_values()
    table = found.pivot_table(index="timestamp", columns=["strike", "side"], values=["oi", "change"],
                              aggfunc="last", dropna=False).reindex(stamps)
    series = []
    for strike in chosen:
        entry: dict[str, Any] = {"strike": strike}
        for side in ("CE", "PE"):
            for column, name in (("oi", "oi"), ("change", "change")):
                key = (column, strike, side)
                entry[f"{side.lower()}_{name}"] = ([value(v) for v in table[key]] if key in table
                                                   else [None] * len(stamps))
        series.append(entry)
    first = sel.rows.iloc[0] if len(sel.rows) else None
    lot = value(first["lot_size"]) if first is not None else None
    return {
        "index": stored.index, "day": stored.day.isoformat(), "expiry_tag": tag, "minute": sel.timestamp.strftime("%H:%M"),
        "interval": label(interval), "basis": basis(interval), "lot_size": int(lot) if lot is not None else None,
        "times": [t.tz_convert(IST).strftime("%H:%M") for t in stamps], "strikes": chosen, "series": series,
    }  # fmt: skip


def _chosen_strikes(sel: Selection, rows: pd.DataFrame, strikes: Sequence[float] | None) -> list[float]:
    """The strikes asked for (each must be stored that day), else ATM ± `DAY_STRIKES` at the selection's minute."""
    listed = sorted({float(k) for k in sel.rows["strike"]})
    if strikes is None:
        atm = value(sel.rows["atm"].iloc[0]) if len(sel.rows) else None
        centre = min(range(len(listed)), key=lambda i: abs(listed[i] - atm)) if listed and atm is not None else 0
        return listed[max(0, centre - DAY_STRIKES): centre + DAY_STRIKES + 1]
    stored = set(rows["strike"].unique().astype(float).tolist())
    absent = [k for k in strikes if k not in stored]
    if absent:
        raise ChainViewError("strikes", f"strike {absent[0]:g} is not stored for {sel.expiry_tag} on "
                                        f"{sel.stored.day.isoformat()} (stored: {', '.join(f'{k:g}' for k in listed)})")
    return sorted(set(strikes))
