"""The strike window of an expiry, minute by minute: the one decision the live provider and a backfilled day share.

A minute's window is the configured strikes around the expiry's centre, widened to its 0.20-delta wings
(`instruments.wings.wing_window`) by σ√t when the underlying's `wings` setting is on (the indices' default). Both come from the minute before: the centre is
`strike_window_centre` of the window's legs (spot before there is one), σ√t the ATM straddle's at the listed
strike nearest the centre that minute used (`VIX_GUESS_FACTOR` × VIX before there is one). A leg is priced at
its mid, else its last price (`leg_price`). `ChainProvider` keeps the state between fetches;
`synthetic.day` walks a whole session through the same functions.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np

from g6_pipeline.core.clock import EXPIRY_TIME, IST
from g6_pipeline.instruments import IndexUniverse, strike_window, total_vol_from_straddle, wing_window
from g6_pipeline.providers.quotes import QuoteTable

VIX_GUESS_FACTOR = 1.5
"""Without a straddle seen yet, an expiry's volatility is guessed as this multiple of the India VIX (the
30-day implied volatility of NIFTY; the other indices run somewhat above it): generous, so that the first
window reaches the wings."""
FALLBACK_VOL = 0.30
"""The guess when the VIX was not quoted either."""


def guess_total_vol(seen: float | None, vix: float, expiry: date, minute: datetime) -> float:
    """σ√t to size an expiry's window by: the last straddle's (`seen`), else `VIX_GUESS_FACTOR` × VIX.

    Time runs ACT/365 to 15:30 IST of the expiry date, at least one day (near the close of an expiry day
    the configured strikes reach the wings anyway).
    """
    if seen is not None and math.isfinite(seen) and seen > 0:
        return seen
    vol = VIX_GUESS_FACTOR * vix / 100 if math.isfinite(vix) and vix > 0 else FALLBACK_VOL
    close = datetime.combine(expiry, EXPIRY_TIME, tzinfo=IST)
    years = max((close - minute.astimezone(IST)).total_seconds() / (365 * 86400), 1 / 365)
    return vol * math.sqrt(years)


def expiry_window(
    strikes: np.ndarray, centre: float, seen_total_vol: float | None, vix: float, expiry: date, minute: datetime,
    below: int, above: int, wings: bool = True,
) -> np.ndarray:
    """The listed strikes an expiry stores this minute: the configured ones around `centre`, widened to the
    wings (`wing_window`) by `guess_total_vol` unless `wings` is off (then exactly the configured ones)."""
    if not wings:
        return strike_window(strikes, centre, below, above)
    return wing_window(strikes, centre, guess_total_vol(seen_total_vol, vix, expiry, minute), below, above)


def leg_price(bid: np.ndarray, ask: np.ndarray, last: np.ndarray) -> np.ndarray:
    """What a leg is worth to the window decisions: the mid of bid and ask, else the last price."""
    mids = (np.asarray(bid, dtype="float64") + np.asarray(ask, dtype="float64")) / 2
    out: np.ndarray = np.where(np.isnan(mids), last, mids)
    return out


def atm_strike(listed: np.ndarray, centre: float) -> float:
    """The strike of sorted unique `listed` nearest `centre` (the lower of a tie): the straddle that sizes the
    next minute's window."""
    return float(listed[int(np.argmin(np.abs(listed - centre)))])


def quoted_total_vol(uni: IndexUniverse, expiry: date, centre: float, table: QuoteTable) -> float:
    """σ√t from this minute's straddle (`leg_price`) at the listed strike nearest `centre`, for the next
    minute's window; NaN when a leg of it was not quoted."""
    rows, strikes = uni.rows_of(expiry)
    if rows.size == 0 or not math.isfinite(centre):
        return math.nan
    at = rows[strikes == atm_strike(np.unique(strikes), centre)]
    found = table.lookup(uni.quote_keys[at].tolist())
    if (found < 0).any() or at.size != 2:
        return math.nan
    price = leg_price(table.fields["bid"][found], table.fields["ask"][found], table.fields["last_price"][found])
    return straddle_total_vol(float(price[0]), float(price[1]), centre)


def straddle_total_vol(call: float, put: float, centre: float) -> float:
    """σ√t of the straddle whose legs are worth `call` and `put` (`leg_price`) around `centre`; NaN if unusable."""
    return total_vol_from_straddle(call + put, centre)
