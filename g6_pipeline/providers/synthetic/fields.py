"""Quote fields of the simulated options: the one pricing path of the market, shared by the minute quotes
and the whole-day block.

Prices are Black-76 on the forward with the market's smile; volume and OI follow a seeded per-contract
profile through the session (see `option_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time

import numpy as np

from g6_pipeline.providers.synthetic.contracts import IndexSpec
from g6_pipeline.providers.synthetic.pricing import (
    DIVIDEND_YIELD,
    RATE,
    SECONDS_PER_YEAR,
    black76,
    quote_band,
    smile_vol,
    term_atm,
    to_tick,
)

EXPIRY_CLOSE = time(15, 30)
OI_SCALE = 20000.0


def _hash01(token: np.ndarray, day: int | np.ndarray, salt: int) -> np.ndarray:
    """Deterministic uniform [0, 1) per (token, day, salt): splitmix64 on unsigned integers."""
    with np.errstate(over="ignore"):
        x = token.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + (np.asarray(day) * 1_000_003 + salt).astype(np.uint64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    out: np.ndarray = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return out


def option_fields(
    spec: IndexSpec,
    st: Mapping[str, np.ndarray],
    token: np.ndarray,
    strike: np.ndarray,
    is_call: np.ndarray,
    expiry_epoch: np.ndarray,
    lot: np.ndarray,
    day_ordinal: int,
) -> dict[str, np.ndarray]:
    """Quote fields of options, element-wise over broadcast arrays (the one pricing path of the market)."""

    def fair(spot: np.ndarray, vol: np.ndarray, at: np.ndarray) -> np.ndarray:
        t = np.maximum(expiry_epoch - at, 60) / SECONDS_PER_YEAR
        fwd = spot * np.exp((RATE - DIVIDEND_YIELD) * t)
        atm = term_atm(vol, spec.base_vol, t)
        out: np.ndarray = black76(fwd, strike, t, smile_vol(atm, fwd, strike, t), is_call)
        return out

    now = fair(st["spot"], st["vol"], st["epoch"])
    day_open = fair(st["open"], st["open_vol"], st["open_epoch"])
    prev = fair(st["prev_close"], st["prev_vol"], st["prev_close_epoch"])
    bid, ask = quote_band(now)
    t_open = np.maximum(expiry_epoch - st["open_epoch"], 86400) / SECONDS_PER_YEAR
    x0 = np.log(strike / st["open"]) / (spec.base_vol * np.sqrt(t_open))
    otm = np.where(is_call, strike > st["open"], strike < st["open"])
    u = [_hash01(token, day_ordinal, s) for s in range(4)]
    base = OI_SCALE / spec.lot_size * np.exp(-x0 * x0 / 4.5) * (1 + 0.5 * otm) * (0.5 + u[0])
    base = base / (1.0 + t_open * 365.0 / 15.0)
    oi_open, oi_close = np.round(base * (0.85 + 0.1 * u[1])), np.round(base * (0.95 + 0.2 * u[2]))
    p = st["progress"]
    oi = np.round(oi_open + (oi_close - oi_open) * p) * lot
    vol_total = base * (1.0 + 6.0 * np.exp(-x0 * x0 / 2.0)) * (0.5 + u[3])
    volume = np.floor(vol_total * p * (1.0 + 0.2 * p * (1.0 - p))) * lot
    q = _hash01(token, day_ordinal * 400 + st["minute"].astype(np.int64), 9)
    return {
        "last_price": to_tick(now),
        "bid": bid,
        "ask": ask,
        "bid_qty": lot * (1 + np.floor(q * 40)),
        "ask_qty": lot * (1 + np.floor((1 - q) * 40)),
        "volume": volume,
        "oi": oi,
        "average_price": to_tick(0.5 * (now + day_open)),
        "prev_close": to_tick(prev),
        "open": to_tick(day_open),
        "fair": now,
    }
