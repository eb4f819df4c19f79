"""The volatility smile of an expiry: ATM IV, 25-delta risk reversal and butterfly.

- ATM IV: the mean of the finite CE and PE implied volatilities at the ATM strike (both are solved on the
  same forward, so they agree closely; one side alone is used when the other is missing).
- 25-delta risk reversal and butterfly: the IV at call delta +0.25 and at put delta −0.25, each read by
  linear interpolation in delta between the two listed strikes that bracket it (never extrapolated:
  NaN when no strike pair brackets 25 delta); rr25 = IV(25Δ call) − IV(25Δ put),
  bf25 = (IV(25Δ call) + IV(25Δ put))/2 − ATM IV.
"""

from __future__ import annotations

import math

import numpy as np

from g6_pipeline.analytics.black import ArrayLike, FloatArray


def atm_iv_from_grid(ce_iv: FloatArray, pe_iv: FloatArray, atm_index: int) -> float:
    """Mean of the finite CE/PE IVs at the ATM strike; NaN when neither side has one."""
    if atm_index < 0:
        return math.nan
    pair = np.array([ce_iv[atm_index], pe_iv[atm_index]])
    finite = pair[np.isfinite(pair)]
    return float(finite.mean()) if finite.size else math.nan


def iv_at_delta(delta: ArrayLike, iv: ArrayLike, target: float) -> float:
    """IV at `target` delta by linear interpolation between bracketing legs of one side; NaN if unbracketed."""
    d = np.asarray(delta, dtype=np.float64)
    v = np.asarray(iv, dtype=np.float64)
    usable = np.isfinite(d) & np.isfinite(v)
    d, v = d[usable], v[usable]
    if d.size == 0 or not (d.min() <= target <= d.max()):
        return math.nan
    order = np.argsort(d, kind="stable")
    return float(np.interp(target, d[order], v[order]))


def risk_reversal_butterfly(
    is_call: ArrayLike, delta: ArrayLike, iv: ArrayLike, atm_iv: float, wing: float = 0.25
) -> tuple[float, float]:
    """(risk reversal, butterfly) at `wing` delta from per-leg delta and IV of one expiry."""
    calls = np.asarray(is_call, dtype=bool)
    d = np.asarray(delta, dtype=np.float64)
    v = np.asarray(iv, dtype=np.float64)
    call_iv = iv_at_delta(d[calls], v[calls], wing)
    put_iv = iv_at_delta(d[~calls], v[~calls], -wing)
    return call_iv - put_iv, 0.5 * (call_iv + put_iv) - atm_iv
