"""The volatility smile of an expiry and the surface across expiries.

- ATM IV: the mean of the finite CE and PE implied volatilities at the ATM strike (both are solved on the
  same forward, so they agree closely; one side alone is used when the other is missing).
- 25-delta risk reversal and butterfly: the IV at call delta +0.25 and at put delta −0.25, each read by
  linear interpolation in delta between the two listed strikes that bracket it (never extrapolated:
  NaN when no strike pair brackets 25 delta); rr25 = IV(25Δ call) − IV(25Δ put),
  bf25 = (IV(25Δ call) + IV(25Δ put))/2 − ATM IV.
- Smile: per strike the CE and PE IV and the out-of-the-money IV (PE below the forward, CE at or above it,
  the other side where that one is missing) against moneyness (K/F − 1)·100.
- Surface: the mean out-of-the-money IV per moneyness bucket and expiry; the original's bucket edges
  −20, −10, −5, 0, 5, 10, 20 per cent, measured from the forward rather than from spot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from g6_pipeline.analytics.black import ArrayLike, FloatArray
from g6_pipeline.analytics.strike_grid import StrikeGrid

SURFACE_EDGES: tuple[float, ...] = (-20.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
"""Moneyness bucket edges in per cent of the forward."""


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


def iv_smile(options: pd.DataFrame, forward: float | None = None) -> pd.DataFrame:
    """IV by strike for one expiry of an enriched option frame (`strike`, `side`, `iv`, and `forward`
    unless given). Columns: strike, moneyness (per cent of the forward), ce_iv, pe_iv, iv (OTM side)."""
    columns = ["strike", "moneyness", "ce_iv", "pe_iv", "iv"]
    if options.empty:
        return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})
    if forward is None:
        forward = float(options["forward"].iloc[0])
    grid = StrikeGrid.from_frame(options)
    ce, pe = grid.sides(options["iv"].to_numpy(dtype=np.float64))
    otm = np.where(grid.strikes < forward, pe, ce)
    other = np.where(grid.strikes < forward, ce, pe)
    return pd.DataFrame(
        {
            "strike": grid.strikes,
            "moneyness": (grid.strikes / forward - 1.0) * 100.0,
            "ce_iv": ce,
            "pe_iv": pe,
            "iv": np.where(np.isfinite(otm), otm, other),
        }
    )


def vol_surface(options: pd.DataFrame, edges: Sequence[float] = SURFACE_EDGES) -> pd.DataFrame:
    """Mean OTM IV per moneyness bucket (rows, labelled like "[-5, 0)") and expiry tag (columns).

    `options` is an enriched option frame (`expiry_tag`, `strike`, `side`, `iv`, `forward`); strikes
    outside the outer edges are left out; an empty bucket is NaN.
    """
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in pairwise(edges)]
    tags = list(dict.fromkeys(options["expiry_tag"].tolist())) if not options.empty else []
    values = np.full((len(labels), len(tags)), np.nan)
    for column, tag in enumerate(tags):
        smile = iv_smile(options[options["expiry_tag"] == tag])
        iv = smile["iv"].to_numpy()
        bucket = np.searchsorted(np.asarray(edges), smile["moneyness"].to_numpy(), side="right") - 1
        inside = (bucket >= 0) & (bucket < len(labels)) & np.isfinite(iv)
        sums = np.bincount(bucket[inside], weights=iv[inside], minlength=len(labels))
        counts = np.bincount(bucket[inside], minlength=len(labels))
        with np.errstate(invalid="ignore"):
            values[:, column] = np.where(counts > 0, sums / counts, np.nan)
    return pd.DataFrame(values, index=pd.Index(labels, name="moneyness"), columns=pd.Index(tags, name="expiry_tag"))
