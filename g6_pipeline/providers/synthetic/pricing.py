"""Black-76 on a forward, vectorised, plus the smile and tick rounding of the simulated market."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

TICK = 0.05
RATE = 0.065
"""Continuous risk-free rate of the simulated market."""
DIVIDEND_YIELD = 0.012
SECONDS_PER_YEAR = 365.0 * 86400.0


def black76(
    forward: np.ndarray, strike: np.ndarray, t: np.ndarray, vol: np.ndarray, is_call: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted Black-76 prices and their vegas per unit of vol (element-wise over broadcast arrays, t in
    years, rate `RATE`)."""
    root_t = np.sqrt(t)
    sd = vol * root_t
    d1 = (np.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    df = np.exp(-RATE * t)
    call = df * (forward * ndtr(d1) - strike * ndtr(d2))
    put = df * (strike * ndtr(-d2) - forward * ndtr(-d1))
    vega = df * forward * np.exp(-0.5 * d1 * d1) / np.sqrt(2.0 * np.pi) * root_t
    return np.where(is_call, call, put), vega


def smile_vol(atm: np.ndarray, forward: np.ndarray, strike: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Implied vol with a put skew and mild curvature in standardised moneyness (flat beyond ±4 sd)."""
    x = np.clip(np.log(strike / forward) / (atm * np.sqrt(t)), -4.0, 4.0)
    return atm * (1.0 - 0.07 * x + 0.02 * x * x)


def term_atm(state_vol: np.ndarray, base_vol: float, t: np.ndarray) -> np.ndarray:
    """ATM vol by maturity: the current vol state at the short end, reverting to the long-run level."""
    long_run = 1.05 * base_vol
    return long_run + (1.1 * state_vol - long_run) * np.exp(-t / (30.0 / 365.0))


def to_tick(x: np.ndarray) -> np.ndarray:
    """Nearest multiple of the tick, never below one tick."""
    return np.round(np.maximum(np.round(x / TICK), 1.0) * TICK, 2)


def quote_band(fair: np.ndarray, skew: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best bid and ask on the tick around a fair value (bid 0 = no bid when fair is under one tick), and the
    band (low, high) a trade at this minute lies in: a half-width of 0.2 % of fair (one tick to 5), shifted
    by `skew` ∈ [−0.5, 0.5] of it (the book leaning to one side), always with fair inside."""
    half = np.clip(0.002 * fair, TICK, 5.0)
    low, high = fair - half * (1.0 + skew), fair + half * (1.0 - skew)
    bid = np.floor(low / TICK + 1e-9) * TICK
    ask = np.ceil(high / TICK - 1e-9) * TICK
    return np.round(np.maximum(bid, 0.0), 2), np.round(np.maximum(ask, TICK), 2), low, high


def vix_level(state_vol: float, base_vol: float) -> float:
    """The India VIX the market quotes for NIFTY's vol state: its 30-day ATM vol in percent, 2 decimals."""
    return round(100.0 * float(term_atm(np.array(state_vol), base_vol, np.array(30 / 365))), 2)
