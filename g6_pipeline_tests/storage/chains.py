"""Hand-made enriched chains for the storage tests: Black-Scholes prices on a strike grid, every column set.

The prices are arbitrage-free (calls decrease and are convex in strike, put-call parity holds) so that the
quality checks have a clean baseline; tests break them on purpose where they need a violation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import norm

from g6_pipeline.core.schema import EXPIRY_TAGS, OPTION_COLUMNS, OVERVIEW_COLUMNS, TAG_BITS
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot, EnrichedChain

IST = ZoneInfo("Asia/Kolkata")
RATE = 0.065
STEPS = {"NIFTY": 50, "BANKNIFTY": 100, "FINNIFTY": 50, "SENSEX": 100}
SPOTS = {"NIFTY": 24_000.0, "BANKNIFTY": 52_000.0, "FINNIFTY": 23_500.0, "SENSEX": 80_000.0}


def minute(day: date, hhmm: str) -> datetime:
    """A collection minute of `day` in Asia/Kolkata."""
    return datetime(day.year, day.month, day.day, int(hhmm[:2]), int(hhmm[2:]), tzinfo=IST)


def expiries(day: date, tags: Sequence[str]) -> dict[str, date]:
    """Distinct future expiries per tag (weekly one and two weeks out, monthly four and eight)."""
    weeks = {"this_week": 1, "next_week": 2, "this_month": 4, "next_month": 8}
    return {tag: day + timedelta(weeks=weeks[tag]) for tag in tags}


def black_scholes(spot: float, strikes: np.ndarray, t: float, sigma: float, call: bool) -> np.ndarray:
    """European price on spot with a continuous rate."""
    d1 = (np.log(spot / strikes) + (RATE + 0.5 * sigma**2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    disc = math.exp(-RATE * t)
    if call:
        return spot * norm.cdf(d1) - strikes * disc * norm.cdf(d2)
    return strikes * disc * norm.cdf(-d2) - spot * norm.cdf(-d1)


def make_chain(
    index: str,
    moment: datetime,
    spot: float | None = None,
    tags: Sequence[str] = ("this_week", "this_month"),
    half_width: int = 3,
    sigma: float = 0.15,
    drop: Sequence[tuple[str, int, str]] = (),
) -> EnrichedChain:
    """An enriched chain of `index` at `moment`: ATM ± `half_width` strikes per tag, CE and PE.

    `drop` lists legs (tag, offset, side) left out, as if the provider had not quoted them.
    """
    spot = SPOTS[index] if spot is None else spot
    step = STEPS[index]
    atm = round(spot / step) * step
    exp = expiries(moment.date(), tags)
    offsets = np.arange(-half_width, half_width + 1) * step
    rows: list[dict[str, Any]] = []
    for tag in tags:
        expiry = exp[tag]
        t = (
            (datetime(expiry.year, expiry.month, expiry.day, 15, 30, tzinfo=IST) - moment).total_seconds()
        ) / (365 * 86400)
        strikes = atm + offsets.astype(float)
        for side in ("CE", "PE"):
            prices = np.round(black_scholes(spot, strikes, t, sigma, side == "CE") / 0.05) * 0.05
            for off, strike, price in zip(offsets, strikes, prices, strict=True):
                if (tag, int(off), side) in drop:
                    continue
                rows.append(
                    {
                        "timestamp": moment,
                        "index": index,
                        "expiry": expiry,
                        "expiry_tag": tag,
                        "strike": float(strike),
                        "offset": int(off),
                        "side": side,
                        "instrument_token": hash((index, tag, int(strike), side)) & 0xFFFFFFF,
                        "tradingsymbol": f"{index}{expiry:%y%m%d}{int(strike)}{side}",
                        "lot_size": 75,
                        "last_price": float(price),
                        "bid": float(price) - 0.5,
                        "ask": float(price) + 0.5,
                        "bid_qty": 750.0,
                        "ask_qty": 900.0,
                        "volume": 1000.0 + abs(int(off)),
                        "oi": 50_000.0 + int(off),
                        "average_price": float(price) + 1.0,
                        "prev_close": float(price) - 2.0,
                        "oi_change": np.nan,
                        "buildup": "",
                        "index_price": spot,
                        "forward": spot * math.exp(RATE * t),
                        "atm": float(atm),
                        "t_years": t,
                        "iv": sigma,
                        "iv_status": "ok",
                        "delta": 0.5 if side == "CE" else -0.5,
                        "gamma": 0.0004,
                        "vega": 12.5,
                        "theta": -8.25,
                        "rho": 3.5,
                    }
                )
    options = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    options["timestamp"] = pd.to_datetime(options["timestamp"]).dt.tz_convert("Asia/Kolkata")
    legs = options[list(LEG_COLUMNS)].copy()
    snapshot = ChainSnapshot(
        index=index, timestamp=moment, fetched_at=moment, spot=spot, legs=legs, expiries=exp, provider="test"
    )
    return EnrichedChain(
        snapshot=snapshot, options=options, overview=make_overview(index, moment, spot, tags)
    )


def make_overview(index: str, moment: datetime, spot: float, tags: Sequence[str]) -> dict[str, Any]:
    """An overview row with every column (NaN for the tags not collected)."""
    row: dict[str, Any] = {name: math.nan for name in OVERVIEW_COLUMNS}
    mask = sum(TAG_BITS[t] for t in tags)
    row.update(
        timestamp=moment,
        index=index,
        index_price=spot,
        index_prev_close=spot - 100.0,
        index_net_change=100.0,
        index_day_change=5.0,
        day_high=spot + 20.0,
        day_low=spot - 30.0,
        day_width=50.0,
        vix=13.25,
        expiries_expected=len(tags),
        expiries_collected=len(tags),
        expected_mask=mask,
        collected_mask=mask,
        missing_mask=0,
        legs_expected=14 * len(tags),
        legs_collected=14 * len(tags),
        legs_missing=0,
        iv_failures=0,
    )
    for tag in EXPIRY_TAGS:
        row[f"expiry_{tag}"] = None
        if tag in tags:
            row[f"pcr_{tag}"] = 1.25
    return row


def make_day(index: str, day: date, minutes: Sequence[str], **kwargs: Any) -> list[EnrichedChain]:
    """One chain per listed minute (`HHMM`), the spot drifting one point a minute."""
    base = SPOTS[index]
    return [make_chain(index, minute(day, m), spot=base + i, **kwargs) for i, m in enumerate(minutes)]
