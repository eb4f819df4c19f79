"""The one factory of enriched chains for tests that need stored-looking data (storage, daily, metrics, live,
benchmarks): every schema column set, prices from an independent Black-Scholes pricer (scipy's normal
distribution, never G6's own kernels), the overview computed from the rows the way a trader would.

The prices are free of static arbitrage (calls decrease and are convex in strike, put-call parity holds) so
the quality checks have a clean baseline; tests break them on purpose where they need a violation. The
analytics tests keep their own vollib-priced legs (`g6_pipeline_tests/analytics/chains.py`): there the
independence of the reference pricer from the code under test is the point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import EXPIRY_TAGS, OPTION_COLUMNS, OVERVIEW_COLUMNS, TAG_BITS
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot, EnrichedChain

__all__ = ["IST", "RATE", "SPOTS", "STEPS", "make_chain", "make_day", "minute"]

RATE = 0.065
STEPS = {"NIFTY": 50, "BANKNIFTY": 100, "FINNIFTY": 50, "SENSEX": 100}
STOCK_STEP = 10
STOCK_SPOT = 1500.0
"""The strike step and price of any other underlying (a stock's chain)."""
SPOTS = {"NIFTY": 24_000.0, "BANKNIFTY": 52_000.0, "FINNIFTY": 23_500.0, "SENSEX": 80_000.0}
LOT = 75
TICK = 0.05


def minute(day: date, hhmm: str) -> datetime:
    """A collection minute of `day` in Asia/Kolkata."""
    return datetime(day.year, day.month, day.day, int(hhmm[:2]), int(hhmm[2:]), tzinfo=IST)


EXPIRY_WEEKDAY = 1
"""Tuesday: the weekly expiry of the test chains (holidays are not moved around)."""


def _last_expiry_weekday(year: int, month: int) -> date:
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - EXPIRY_WEEKDAY) % 7)


def expiries(day: date, tags: Sequence[str]) -> dict[str, date]:
    """Fixed expiry dates, distinct per tag, as a calendar has them: `this_week` the first Tuesday on or after
    `day` (the expiry day itself included), `next_week` the one after, `this_month` the first month's last
    Tuesday later than `next_week`, `next_month` the month after's. So the tags roll the day after an expiry:
    then `this_week` is the former `next_week`."""
    this_week = day + timedelta(days=(EXPIRY_WEEKDAY - day.weekday()) % 7)
    next_week = this_week + timedelta(weeks=1)
    year, month = next_week.year, next_week.month
    this_month = _last_expiry_weekday(year, month)
    if this_month <= next_week:
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        this_month = _last_expiry_weekday(year, month)
    next_month = _last_expiry_weekday(*((year, month + 1) if month < 12 else (year + 1, 1)))
    found = {"this_week": this_week, "next_week": next_week, "this_month": this_month, "next_month": next_month}
    return {tag: found[tag] for tag in tags}


def black_scholes(spot: float, strikes: np.ndarray, t: float, sigma: np.ndarray | float, call: bool) -> np.ndarray:
    """European price on spot with a continuous rate."""
    d1 = (np.log(spot / strikes) + (RATE + 0.5 * np.square(sigma)) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    disc = math.exp(-RATE * t)
    if call:
        return np.asarray(spot * norm.cdf(d1) - strikes * disc * norm.cdf(d2))
    return np.asarray(strikes * disc * norm.cdf(-d2) - spot * norm.cdf(-d1))


def make_chain(
    index: str,
    moment: datetime,
    spot: float | None = None,
    tags: Sequence[str] = ("this_week", "this_month"),
    half_width: int = 3,
    sigma: float = 0.15,
    drop: Sequence[tuple[str, int, str]] = (),
    smile: float = 0.0,
    oi_seed: int | None = None,
    unpriced_wings: bool = False,
    provider: str = "kite",  # stands for collected data
    fetch_seconds: float = 0.0,
) -> EnrichedChain:
    """An enriched chain of `index` at `moment`: ATM ± `half_width` strikes per tag, CE and PE.

    `drop` lists legs (tag, offset in index points, side) left out, as if the provider had not quoted them.
    `smile` adds that much volatility per strike away from ATM (puts skewed up on the downside); `oi_seed`
    draws open interest and volume from a seeded generator instead of a smooth profile; `unpriced_wings`
    gives the farthest OTM leg of each side no IV (status `below_intrinsic`), as a solver would;
    `fetch_seconds` is how long after the minute the quotes arrived.
    """
    spot = SPOTS.get(index, STOCK_SPOT) if spot is None else spot
    step = STEPS.get(index, STOCK_STEP)
    atm = round(spot / step) * step
    exp = expiries(moment.date(), tags)
    rng = np.random.default_rng(oi_seed) if oi_seed is not None else None
    rows: list[dict[str, Any]] = []
    for tag in tags:
        close = datetime(exp[tag].year, exp[tag].month, exp[tag].day, 15, 30, tzinfo=IST)
        t = max((close - moment).total_seconds(), 60.0) / (365 * 86400)  # at an expiry's close: a minute left
        for i in range(-half_width, half_width + 1):
            for side in ("CE", "PE"):
                if (tag, i * step, side) in drop:
                    continue
                vol = sigma + smile * (abs(i) + (-i / 2 if side == "PE" else 0.0))
                wing = unpriced_wings and i == (half_width if side == "CE" else -half_width)
                rows.append(_leg(index, moment, tag, exp[tag], atm + i * step, i * step, side, spot, t, vol, wing, rng)
                            | {"source": provider, "fetched_at": moment + timedelta(seconds=fetch_seconds)})
    options = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    for column in ("timestamp", "fetched_at", "exchange_timestamp", "last_trade_time"):
        options[column] = pd.to_datetime(options[column]).dt.tz_convert(IST)
    options["stale"] = options["stale"].astype("boolean")
    snapshot = ChainSnapshot(
        index=index, timestamp=moment, fetched_at=moment + timedelta(seconds=fetch_seconds), spot=spot,
        legs=options[list(LEG_COLUMNS)].copy(),
        expiries=exp, provider=provider,
    )
    overview = make_overview(options, moment, spot, tags, exp) | {"source": provider, "fetched_at": snapshot.fetched_at}
    return EnrichedChain(snapshot=snapshot, options=options, overview=overview)


def _leg(
    index: str, moment: datetime, tag: str, expiry: date, strike: float, offset: int, side: str, spot: float,
    t: float, vol: float, wing: bool, rng: np.random.Generator | None,
) -> dict[str, Any]:
    price = float(np.round(black_scholes(spot, np.array([float(strike)]), t, vol, side == "CE")[0] / TICK) * TICK)
    if rng is None:
        oi, volume = 50_000.0 + offset, 1000.0 + abs(offset)
    else:
        oi = float(rng.integers(20, 400) * LOT * (3 if offset == 0 else 1))
        volume = float(rng.integers(1_000, 90_000))
    return {
        "timestamp": moment, "index": index, "expiry": expiry, "expiry_tag": tag, "strike": float(strike),
        "offset": offset, "side": side, "instrument_token": hash((index, tag, int(strike), side)) & 0xFFFFFFF,
        "tradingsymbol": f"{index}{expiry:%y%m%d}{int(strike)}{side}", "lot_size": LOT,
        "last_price": price, "bid": price - 0.5, "ask": price + 0.5, "bid_qty": 750.0, "ask_qty": 900.0,
        "volume": volume, "oi": oi, "average_price": price + 1.0, "prev_close": price - 2.0,
        "oi_change": np.nan, "buildup": "", "index_price": spot, "forward": spot * math.exp(RATE * t),
        "atm": float(round(spot / STEPS.get(index, STOCK_STEP)) * STEPS.get(index, STOCK_STEP)), "t_years": t,
        "iv": math.nan if wing else vol, "iv_status": "below_intrinsic" if wing else "ok",
        "delta": 0.5 if side == "CE" else -0.5, "gamma": 0.0004, "vega": 12.5, "theta": -8.25, "rho": 3.5,
        "exchange_timestamp": moment, "last_trade_time": moment, "stale": False,  # quoted at the minute
    }


def make_overview(
    options: pd.DataFrame, moment: datetime, spot: float, tags: Sequence[str], exp: dict[str, date]
) -> dict[str, Any]:
    """An overview row with every column, the per-tag figures summed from `options` (NaN for tags not collected)."""
    row: dict[str, Any] = {name: math.nan for name in OVERVIEW_COLUMNS}
    mask = sum(TAG_BITS[t] for t in tags)
    row.update(
        timestamp=moment, index=options["index"].iloc[0] if len(options) else "", index_price=spot,
        index_prev_close=spot - 100.0, index_net_change=100.0, index_day_change=5.0, day_high=spot + 20.0,
        day_low=spot - 30.0, day_width=50.0, vix=13.25, expiries_expected=len(tags), expiries_collected=len(tags),
        expected_mask=mask, collected_mask=mask, missing_mask=0, legs_expected=len(options),
        legs_collected=len(options), legs_missing=0, iv_failures=int((options["iv_status"] != "ok").sum()),
        exchange_timestamp=moment, quote_age_seconds=0.0, stale=False, legs_stale=0,
    )
    for tag in EXPIRY_TAGS:
        row[f"expiry_{tag}"] = exp.get(tag)
        rows = options[options["expiry_tag"] == tag]
        if tag not in tags or rows.empty:
            continue
        ce, pe = rows[rows["side"] == "CE"], rows[rows["side"] == "PE"]
        atm = float(rows["atm"].iloc[0])
        at = rows[rows["strike"] == atm]
        row |= {
            f"atm_{tag}": atm, f"forward_{tag}": float(rows["forward"].iloc[0]),
            f"pcr_{tag}": pe["oi"].sum() / ce["oi"].sum(), f"pcr_volume_{tag}": pe["volume"].sum() / ce["volume"].sum(),
            f"straddle_{tag}": float(at["last_price"].sum()) if len(at) == 2 else math.nan,
            f"atm_iv_{tag}": float(at["iv"].mean()), f"ce_oi_{tag}": float(ce["oi"].sum()),
            f"pe_oi_{tag}": float(pe["oi"].sum()),
            # calls +1, puts −1; OI in units; gamma per point, in rupees for a 1 % rise
            f"gex_{tag}": float((ce["gamma"] * ce["oi"]).sum() - (pe["gamma"] * pe["oi"]).sum()) * spot * spot / 100,
            f"dex_{tag}": float((ce["delta"] * ce["oi"]).sum() - (pe["delta"] * pe["oi"]).sum()) * spot,
        }
    return row


def make_day(index: str, day: date, minutes: Sequence[str], **kwargs: Any) -> list[EnrichedChain]:
    """One chain per listed minute (`HHMM`), the spot drifting one point a minute."""
    base = SPOTS[index]
    return [make_chain(index, minute(day, m), spot=base + i, **kwargs) for i, m in enumerate(minutes)]
