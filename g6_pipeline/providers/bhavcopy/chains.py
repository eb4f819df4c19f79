"""A read bhavcopy → one close-of-day `ChainSnapshot` per (underlying, day), with what enrichment needs.

The snapshot is the chain at the day's closing minute (15:29 IST, the last collection minute of a normal
session, so a bhavcopy day lines up with the close of a collected one): every listed strike of each expiry
tag (or a window of strikes around the forward), `last_price` the exchange's settlement price (what the
chain is priced from: for a traded contract the close, for an untraded one the clearing corporation's
model price), `prev_close` the previous session's close, OI and volume in units, the lot size per
contract, and the underlying's close as the spot. The expiry tags are resolved from the expiries listed
that day (`instruments.universe.resolve_expiry_tags`), so a holiday-moved expiry is tagged as listed; an
expiry under two tags lists its contracts under both, as a collected minute does. What the file does not
hold (bid, ask, depth, VWAP, instrument tokens, VIX, the day's high and low) stays empty.

`reference` carries the previous session's closing OI and price of each contract as the file states them
(OI − change in OI, previous close), so enrichment reproduces the exchange's own change in OI and build-up.
Trading symbols are Kite's (`NIFTY25DEC25000CE` for a month's last expiry, `NIFTY25N0425600CE` for a weekly),
so a bhavcopy day and a collected day name the same contract alike.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import EXPIRY_TIME, IST
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.snapshot import CHAIN_COLUMNS, LEG_COLUMNS, ChainSnapshot, SessionReference
from g6_pipeline.instruments.universe import resolve_expiry_tags, strike_window, strike_window_centre
from g6_pipeline.providers.bhavcopy.layout import BhavcopyError

SOURCE = "bhavcopy"
"""The `source` of every row priced from a bhavcopy."""
CLOSE_MINUTE: time = (datetime.combine(date(2000, 1, 3), EXPIRY_TIME) - timedelta(minutes=1)).time()
"""The minute a bhavcopy chain is stamped with: the last minute of a normal session (15:29 IST)."""
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_MONTHS = "123456789OND"


@dataclass(frozen=True)
class BhavcopyDay:
    """The close-of-day chain of one underlying on one day, ready for `analytics.enrich`."""

    day: date
    underlying: str
    exchange: str
    snapshot: ChainSnapshot
    reference: SessionReference
    listed_expiries: tuple[date, ...]
    """Every expiry of the underlying the file lists that day (not only the tagged ones)."""
    origin: str
    """The file the rows came from."""


def kite_symbol(name: str, expiry: date, strike: float, side: str, monthly: bool) -> str:
    """Kite's trading symbol: `{NAME}{YY}{MON}{STRIKE}{CE|PE}` for a month's last expiry, else
    `{NAME}{YY}{M}{DD}{STRIKE}{CE|PE}` with M = 1-9, O, N, D."""
    strike_text = str(int(strike)) if float(strike).is_integer() else f"{strike:.2f}".rstrip("0").rstrip(".")
    month = _MONTHS[expiry.month - 1] if monthly else f"{_WEEKLY_MONTHS[expiry.month - 1]}{expiry.day:02d}"
    return f"{name}{expiry.year % 100:02d}{month}{strike_text}{side}"


def monthly_expiries(expiries: Collection[date]) -> frozenset[date]:
    """The last listed expiry of each month: the contracts Kite names in the monthly form."""
    last: dict[tuple[int, int], date] = {}
    for e in expiries:
        key = (e.year, e.month)
        last[key] = max(last.get(key, e), e)
    return frozenset(last.values())


def close_of(day: date) -> datetime:
    """The closing minute a bhavcopy chain of `day` is stamped with (tz-aware IST)."""
    return datetime.combine(day, CLOSE_MINUTE, tzinfo=IST)


def chain_days(
    rows: pd.DataFrame,
    origin: str,
    tags: Sequence[str] = EXPIRY_TAGS,
    window: tuple[int, int] | None = None,
) -> list[BhavcopyDay]:
    """One `BhavcopyDay` per (underlying, day) of read bhavcopy rows (`layout.ROW_COLUMNS`), by day then name.

    `tags`: the expiry tags to build (those the day lists); `window`: (strikes below, strikes above) the ATM
    strike to keep of each expiry, None for every listed strike. Raises `BhavcopyError` naming `origin` for
    a contract listed twice or an underlying whose close is missing or not one value.
    """
    out = []
    for (day, underlying), group in rows.groupby(["day", "underlying"], sort=True):
        assert isinstance(day, date)
        chain = _chain_day(group.reset_index(drop=True), day, str(underlying), origin, tags, window)
        if not chain.snapshot.legs.empty:
            out.append(chain)
    return out


def _spot(rows: pd.DataFrame, where: str) -> float:
    """The underlying's close: the one value of `spot` the rows carry."""
    values = np.unique(rows["spot"].to_numpy(np.float64))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise BhavcopyError(f"{where}: no row gives the underlying's close (UndrlygPric)")
    if values.size > 1:
        lines = [int(rows.loc[rows["spot"] == v, "line"].iloc[0]) for v in values[:2]]
        raise BhavcopyError(f"{where}: the underlying's close differs between rows: {values[0]:g} (line "
                            f"{lines[0]}) and {values[1]:g} (line {lines[1]})")
    return float(values[0])


def _check_unique(rows: pd.DataFrame, where: str) -> None:
    """Refuse a contract (expiry, strike, side) listed twice."""
    dup = rows.duplicated(["expiry", "strike", "side"], keep=False).to_numpy()
    if dup.any():
        first = rows.loc[dup].iloc[:2]
        lines = " and ".join(str(int(n)) for n in first["line"])
        row = first.iloc[0]
        raise BhavcopyError(f"{where}: the contract {row['expiry']} {row['strike']:g} {row['side']} is listed "
                            f"twice (lines {lines})")


def _chain_day(
    rows: pd.DataFrame, day: date, underlying: str, origin: str, tags: Sequence[str], window: tuple[int, int] | None
) -> BhavcopyDay:
    where = f"{origin}: {underlying} on {day.isoformat()}"
    spot = _spot(rows, where)
    _check_unique(rows, where)
    listed = tuple(sorted(set(rows["expiry"])))
    resolved = resolve_expiry_tags(listed, day)
    expiries = {tag: resolved[tag] for tag in tags if tag in resolved}
    monthly = monthly_expiries(listed)
    symbols = [
        kite_symbol(underlying, e, k, s, e in monthly)
        for e, k, s in zip(rows["expiry"], rows["strike"], rows["side"], strict=True)
    ]
    rows = rows.assign(tradingsymbol=symbols)
    parts, chain_parts = [], []
    for tag, expiry in expiries.items():
        of_expiry = rows.loc[rows["expiry"] == expiry].sort_values(["strike", "side"], kind="stable")
        chain_parts.append(of_expiry.assign(expiry_tag=tag))
        parts.append(_in_window(of_expiry, window).assign(expiry_tag=tag))
    picked = pd.concat(parts, ignore_index=True) if parts else rows.iloc[:0].assign(expiry_tag="")
    chain = pd.concat(chain_parts, ignore_index=True) if chain_parts else picked
    exchanges = set(rows["exchange"])
    exchange = exchanges.pop() if len(exchanges) == 1 else ""
    timestamp = close_of(day)
    snapshot = ChainSnapshot(
        index=underlying,
        timestamp=timestamp,
        fetched_at=timestamp,
        spot=spot,
        legs=_legs(picked),
        expiries=expiries,
        provider=SOURCE,
        chain=chain.loc[:, list(CHAIN_COLUMNS)].reset_index(drop=True),
    )
    previous = pd.DataFrame({
        "tradingsymbol": picked["tradingsymbol"].to_numpy(object),
        "last_price": picked["prev_close"].to_numpy(np.float64),
        "oi": (picked["oi"] - picked["oi_change"]).to_numpy(np.float64),
    }).drop_duplicates("tradingsymbol")
    return BhavcopyDay(day, underlying, str(exchange), snapshot, SessionReference(prev_close_legs=previous),
                       listed, origin)


def _in_window(rows: pd.DataFrame, window: tuple[int, int] | None) -> pd.DataFrame:
    """The rows of one expiry whose strike is within `window` strikes of the one nearest the forward."""
    if window is None:
        return rows
    calls = rows.loc[rows["side"] == "CE"].set_index("strike")["settle"]
    puts = rows.loc[rows["side"] == "PE"].set_index("strike")["settle"]
    both = calls.index.intersection(puts.index)
    centre = strike_window_centre(both.to_numpy(np.float64), calls[both].to_numpy(), puts[both].to_numpy())
    kept = strike_window(rows["strike"].to_numpy(np.float64), centre, *window)
    return rows.loc[rows["strike"].isin(kept)]


def _legs(rows: pd.DataFrame) -> pd.DataFrame:
    """`LEG_COLUMNS` of the picked rows; a column the bhavcopy does not hold is NaN (tokens: missing)."""
    n = len(rows)
    nan = np.full(n, np.nan)
    data = {
        "instrument_token": pd.array([pd.NA] * n, dtype="Int64"),
        "tradingsymbol": rows["tradingsymbol"].to_numpy(object),
        "expiry": rows["expiry"].to_numpy(object),
        "expiry_tag": rows["expiry_tag"].to_numpy(object),
        "strike": rows["strike"].to_numpy(np.float64),
        "side": rows["side"].to_numpy(object),
        "lot_size": rows["lot_size"].to_numpy(np.int64),
        "last_price": rows["settle"].to_numpy(np.float64),
        "bid": nan, "ask": nan.copy(), "bid_qty": nan.copy(), "ask_qty": nan.copy(),
        "volume": rows["volume"].to_numpy(np.float64),
        "oi": rows["oi"].to_numpy(np.float64),
        "average_price": nan.copy(),
        "prev_close": rows["prev_close"].to_numpy(np.float64),
    }
    return pd.DataFrame({name: data[name] for name in LEG_COLUMNS})
