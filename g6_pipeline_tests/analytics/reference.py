"""Independent references for the analytics tests: vollib (Let's Be Rational, pure Python) and QuantLib.

Nothing here imports the code under test.
"""

from __future__ import annotations

import math

import numpy as np
from vollib.black_scholes_merton import black_scholes_merton
from vollib.black_scholes_merton.greeks import analytical
from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_iv

MINUTE = 1.0 / (365.0 * 24 * 60)


def vollib_price(spot: float, strike: float, t: float, rate: float, vol: float, is_call: bool, q: float) -> float:
    """Black-Scholes-Merton price by vollib (LBR's normalised Black function)."""
    return float(black_scholes_merton("c" if is_call else "p", spot, strike, t, rate, vol, q))


def vollib_prices(rows: dict[str, np.ndarray], vol: np.ndarray) -> np.ndarray:
    """vollib prices for every row of a case table at the given volatilities (NaN where vol is NaN)."""
    out = np.full(len(vol), np.nan)
    for i in range(len(vol)):
        if math.isfinite(vol[i]):
            out[i] = vollib_price(rows["spot"][i], rows["strike"][i], rows["t"][i], rows["rate"][i], vol[i],
                                  bool(rows["is_call"][i]), rows["q"][i])
    return out


def vollib_implied_vol(price: float, spot: float, strike: float, t: float, rate: float, is_call: bool, q: float) -> float:
    """vollib implied volatility, NaN where vollib raises."""
    try:
        return float(vollib_iv(price, spot, strike, t, rate, q, "c" if is_call else "p"))
    except Exception:
        return math.nan


def vollib_greeks(spot: float, strike: float, t: float, rate: float, vol: float, is_call: bool, q: float) -> dict[str, float]:
    """vollib's analytical Greeks (theta per day, vega and rho per 1 %)."""
    flag = "c" if is_call else "p"
    return {
        name: float(getattr(analytical, name)(flag, spot, strike, t, rate, vol, q))
        for name in ("delta", "gamma", "vega", "theta", "rho")
    }


def random_cases(n: int, seed: int) -> dict[str, np.ndarray]:
    """The accuracy domain: σ 1 %–500 %, t 1 minute–2 years, strikes ±50 % around spot, rates and yields."""
    rng = np.random.default_rng(seed)
    spot = rng.uniform(50.0, 80_000.0, n)
    return {
        "spot": spot,
        "strike": spot * rng.uniform(0.5, 1.5, n),
        "t": np.exp(rng.uniform(math.log(MINUTE), math.log(2.0), n)),
        "vol": np.exp(rng.uniform(math.log(0.01), math.log(5.0), n)),
        "rate": rng.uniform(-0.01, 0.12, n),
        "q": rng.uniform(0.0, 0.04, n),
        "is_call": rng.random(n) < 0.5,
    }
