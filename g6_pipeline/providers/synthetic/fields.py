"""Quote fields of the simulated options: the one pricing path of the market, shared by the minute quotes
and the whole-day block.

Prices are Black-76 on the forward with the market's smile. A leg's quoted band brackets its fair price,
leaning to one side by a seeded amount each minute, and its last trade lies inside the band, off the smile by
a little implied vol: puts `PUT_CALL_SPREAD` above calls, plus per-leg noise. So call and put IVs of one
strike differ as real quotes do, while put-call parity holds within the quoted spreads. OI and volume follow a seeded per-contract
profile (`activity`): OI spread over the strikes around the day's open, heavier out of the money, concentrated
at round strikes and building towards expiry; volume sharper around the money and in the nearest expiry,
traded through the session on a U-shaped intraday profile with an opening burst, reported cumulative for the
day as Kite does. Both are in units (lots × lot size), like Kite's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import ndtr

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
from g6_pipeline.providers.synthetic.specs import IndexSpec

SERIES_DAYS = 7.0
"""An expiry's total OI τ days before expiry is 1 / (1 + τ / SERIES_DAYS) of its level on the eve of expiry."""
VOLUME_DAYS = 2.0
"""Volume τ days before expiry is 1 / (1 + τ / VOLUME_DAYS) of an expiry-eve day's."""
OI_WIDTH_DAYS = 7.0
"""OI spreads over the strikes a move of at least this many days reaches."""
OPEN_BURST = 0.15
"""Share (before normalising) of the day's volume traded in the opening burst (a few minutes)."""
PUT_CALL_SPREAD = 0.002
"""Puts trade this much implied vol above calls of the same strike (0.2 vol points), within the quoted band."""
IV_NOISE = 0.002
"""Each leg's last trade is off the smile by up to ± this much implied vol (0.2 vol points) each minute."""
BOOK_SKEW = 0.5
"""The quoted band leans to one side by up to this share of its half-width each minute."""


def _hash01(token: np.ndarray, day: int | np.ndarray, salt: int) -> np.ndarray:
    """Deterministic uniform [0, 1) per (token, day, salt): splitmix64 on unsigned integers."""
    with np.errstate(over="ignore"):
        x = token.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + (np.asarray(day) * 1_000_003 + salt).astype(np.uint64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    out: np.ndarray = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return out


def round_weight(spec: IndexSpec, strike: np.ndarray) -> np.ndarray:
    """OI concentration at round strikes: ×1.6 at minor multiples, ×3 at major ones, ×3.8 at twice the major."""
    minor, major = spec.round_strikes
    k = np.round(np.asarray(strike, dtype=np.float64) * 100.0)  # in paise: exact for any listed strike

    def at(multiple: float) -> np.ndarray:
        out_: np.ndarray = np.remainder(k, round(multiple * 100.0)) == 0
        return out_

    out: np.ndarray = 1.0 + 0.6 * at(minor) + 1.4 * at(major) + 0.8 * at(2 * major)
    return out


def traded_share(u: np.ndarray) -> np.ndarray:
    """Share of the day's volume traded by session fraction `u` ∈ [0, 1]: a U-shaped intraday density
    (3·(2u − 1)² plus a flat part) and an opening burst, so the first minute already trades."""
    burst = OPEN_BURST * (1.0 - np.exp(-u / 0.01))
    out: np.ndarray = (u + ((2.0 * u - 1.0) ** 3 + 1.0) / 2.0 + burst) / (2.0 + OPEN_BURST * (1.0 - math.exp(-100.0)))
    return out


def activity(
    spec: IndexSpec, st: Mapping[str, np.ndarray], token: np.ndarray, strike: np.ndarray, is_call: np.ndarray,
    expiry_epoch: np.ndarray, day_ordinal: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(OI at the open, OI at the close, the day's volume) in lots, per contract, seeded by (token, day)."""
    t_open = np.maximum(expiry_epoch - st["open_epoch"], 86400) / SECONDS_PER_YEAR
    tau = t_open * 365.0
    moneyness = np.log(strike / st["open"]) / spec.base_vol
    x_oi = moneyness / np.sqrt(np.maximum(t_open, OI_WIDTH_DAYS / 365.0))
    x_vol = moneyness / np.sqrt(t_open)
    side = 0.3 + 0.7 * ndtr(np.where(is_call, 2.0 * x_oi, -2.0 * x_oi))
    u = [_hash01(token, day_ordinal, s) for s in range(4)]
    width = np.sqrt(np.maximum(t_open * 365.0 / OI_WIDTH_DAYS, 1.0))
    oi_bell = np.exp(-x_oi * x_oi / 4.5) * side * round_weight(spec, strike) / width
    base = spec.oi_lots * oi_bell * (0.85 + 0.3 * u[0]) / (1.0 + tau / SERIES_DAYS)
    oi_open, oi_close = np.round(base * (0.85 + 0.1 * u[1])), np.round(base * (0.95 + 0.2 * u[2]))
    near = np.exp(-x_vol * x_vol / 2.0) * side * np.sqrt(round_weight(spec, strike)) + 0.05 * oi_bell
    volume = spec.oi_lots * spec.turnover * near * (0.7 + 0.6 * u[3]) / (1.0 + tau / VOLUME_DAYS)
    return oi_open, oi_close, volume


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
    """Quote fields of options, element-wise over broadcast arrays (the one pricing path of the market).

    `st["progress"]` is the share of the session elapsed at the minute's start (OI moves from its open to
    its close value with it), `st["traded"]` the share at the minute's end (1 after the close): the volume
    reported in a minute includes what that minute traded.
    """

    def fair(spot: np.ndarray, vol: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.maximum(expiry_epoch - at, 60) / SECONDS_PER_YEAR
        fwd = spot * np.exp((RATE - DIVIDEND_YIELD) * t)
        atm = term_atm(vol, spec.base_vol, t)
        return black76(fwd, strike, t, smile_vol(atm, fwd, strike, t), is_call)

    now, vega = fair(st["spot"], st["vol"], st["epoch"])
    day_open = fair(st["open"], st["open_vol"], st["open_epoch"])[0]
    prev = fair(st["prev_close"], st["prev_vol"], st["prev_close_epoch"])[0]
    minute = day_ordinal * 400 + st["minute"].astype(np.int64)
    q, draw = _hash01(token, minute, 9), _hash01(token, minute, 10)
    lean, off = draw, (draw * 65536.0) % 1.0  # two uniforms from one draw's high and low bits
    bid, ask, low, high = quote_band(now, BOOK_SKEW * (2.0 * lean - 1.0))
    shift = np.where(is_call, -0.5, 0.5) * PUT_CALL_SPREAD + IV_NOISE * (2.0 * off - 1.0)
    traded = now + vega * shift  # the price at the shifted vol, to first order (the shift is a few tenths)
    oi_open, oi_close, day_volume = activity(spec, st, token, strike, is_call, expiry_epoch, day_ordinal)
    oi = np.round(oi_open + (oi_close - oi_open) * st["progress"]) * lot
    volume = np.floor(day_volume * traded_share(st["traded"])) * lot
    return {
        "last_price": to_tick(np.clip(traded, low, high)),
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
