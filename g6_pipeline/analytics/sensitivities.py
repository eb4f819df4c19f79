"""Black-Scholes-Merton Greeks in the units Indian traders read on their broker's screen.

delta per 1 point of spot, gamma per 1 point of spot, vega per 1 vol point (σ + 0.01), theta per
calendar day (the annual rate ÷ 365), rho per 1 % of rate (r + 0.01). With θ = ±1 (call/put),
d1 = (ln(S/K) + (r − q + σ²/2)t)/(σ√t), d2 = d1 − σ√t:

    delta = θ·e^{−qt}·Φ(θ·d1)                 gamma = e^{−qt}·φ(d1)/(S·σ√t)
    vega  = S·e^{−qt}·φ(d1)·√t / 100          rho   = θ·K·t·e^{−rt}·Φ(θ·d2) / 100
    theta = (−S·e^{−qt}·φ(d1)·σ/(2√t) − θ·r·K·e^{−rt}·Φ(θ·d2) + θ·q·S·e^{−qt}·Φ(θ·d1)) / 365

Black-76 Greeks on a forward F are the same with q = r − ln(F/S)/t (see `implied_dividend_yield`).
Rows with t ≤ 0, σ ≤ 0 or any non-finite input are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from g6_pipeline.analytics.black import ONE_OVER_SQRT_TWO_PI, ArrayLike, FloatArray, as_floats, run_chunked

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Greeks:
    """Option sensitivities, one array each, in trader units (see the module docstring)."""

    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The five arrays by name."""
        return {"delta": self.delta, "gamma": self.gamma, "vega": self.vega, "theta": self.theta, "rho": self.rho}


def _greeks_chunk(
    s0: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, v: FloatArray, call: npt.NDArray[np.bool_], q: FloatArray,
    out: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
) -> None:
    delta, gamma, vega, theta, rho = out
    sign = np.where(call, 1.0, -1.0)
    sqrt_t = np.sqrt(t)
    vol_t = v * sqrt_t
    d1 = np.log(s0 / k)
    d1 += (r - q + 0.5 * v * v) * t
    d1 /= vol_t
    d2 = d1 - vol_t
    a = s0 * np.exp(-q * t)  # discounted forward
    c = k * np.exp(-r * t)  # discounted strike
    pdf = np.exp(-0.5 * d1 * d1)
    pdf *= ONE_OVER_SQRT_TWO_PI
    cdf1 = ndtr(sign * d1)
    cdf2 = ndtr(sign * d2)
    a_pdf = a * pdf
    np.multiply(sign * cdf1, np.exp(-q * t), out=delta)
    np.divide(a_pdf, s0 * s0 * vol_t, out=gamma)
    np.multiply(a_pdf, sqrt_t * 0.01, out=vega)
    c_cdf2 = sign * c * cdf2
    theta[...] = (-0.5 * a_pdf * v / sqrt_t - r * c_cdf2 + q * sign * a * cdf1) / DAYS_PER_YEAR
    np.multiply(c_cdf2, t * 0.01, out=rho)
    bad = ~(np.isfinite(s0) & np.isfinite(k) & np.isfinite(t) & np.isfinite(r) & np.isfinite(v) & np.isfinite(q))
    bad |= ~((s0 > 0) & (k > 0) & (t > 0) & (v > 0))
    if bad.any():
        for arr in out:
            arr[bad] = np.nan


def greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
    dividend_yield: ArrayLike = 0.0,
) -> Greeks:
    """Delta, gamma, vega (per vol point), theta (per calendar day) and rho (per 1 % of rate).

    Black-Scholes-Merton with continuous dividend yield; all arguments broadcast, `t` in years, `vol` a
    fraction, `is_call` boolean. NaN where t ≤ 0, σ ≤ 0 (or NaN, e.g. a failed IV) or inputs are invalid.
    """
    args = [*as_floats(spot, strike, t, rate, vol), np.asarray(is_call, dtype=bool), *as_floats(dividend_yield)]
    delta, gamma, vega, theta, rho = run_chunked(_greeks_chunk, args, (np.float64,) * 5)
    return Greeks(delta=delta, gamma=gamma, vega=vega, theta=theta, rho=rho)


def implied_dividend_yield(spot: ArrayLike, forward: ArrayLike, t: ArrayLike, rate: ArrayLike) -> FloatArray:
    """q with S·e^{(r−q)t} = F: the carry that makes Black-Scholes-Merton on spot equal Black-76 on F."""
    s0, f, tt, r = as_floats(spot, forward, t, rate)
    with np.errstate(all="ignore"):
        return np.asarray(r - np.log(f / s0) / tt, dtype=np.float64)
