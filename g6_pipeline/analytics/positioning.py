"""Open-interest analytics: put-call ratios, max pain, OI change and OI build-up labels.

Conventions (the ones on Sensibull/Opstra screens):
- PCR = ΣPE OI ÷ ΣCE OI over the collected strikes of one expiry; the volume PCR likewise with volume.
  NaN when the call side sums to zero or carries no data (the original reported 0, which reads as
  "extremely bullish" instead of "unknown").
- Max pain = the listed strike K* minimising the writers' total payout at expiry,
  Σ CE_OI(K)·max(K* − K, 0) + Σ PE_OI(K)·max(K − K*, 0); the lowest such strike on a tie; NaN without OI.
- Build-up from the signs of the price change and the OI change of a leg since the previous session:
  price ↑ OI ↑ long build-up, price ↓ OI ↑ short build-up, price ↑ OI ↓ short covering,
  price ↓ OI ↓ long unwinding; '' when either change is zero or unknown.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from g6_pipeline.analytics.black import ArrayLike, FloatArray
from g6_pipeline.analytics.strike_grid import StrikeGrid

BUILDUP_LABELS: tuple[str, ...] = ("long_buildup", "short_buildup", "short_covering", "long_unwinding", "")
"""The label vocabulary, identical to `schema.BUILDUP_LABELS`."""


def _total(values: FloatArray) -> float:
    """Sum of the finite values; NaN when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.sum()) if finite.size else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """numerator ÷ denominator, NaN unless both are finite and the denominator is positive."""
    if math.isfinite(numerator) and math.isfinite(denominator) and denominator > 0:
        return numerator / denominator
    return math.nan


def pcr_from_sides(ce: FloatArray, pe: FloatArray) -> float:
    """ΣPE ÷ ΣCE over per-strike (or per-leg) values; NaN when the CE side has no positive total."""
    return ratio(_total(pe), _total(ce))


def put_call_ratio(legs: pd.DataFrame, column: str = "oi") -> float:
    """PCR of one expiry's legs (long format: `side`, `column`): ΣPE ÷ ΣCE; NaN when undefined."""
    calls = legs["side"].to_numpy() == "CE"
    values = legs[column].to_numpy(dtype=np.float64)
    return pcr_from_sides(values[calls], values[~calls])


def put_call_ratio_by_strike(legs: pd.DataFrame, column: str = "oi") -> pd.Series:
    """Strike-wise PCR (PE ÷ CE per strike, NaN where CE is zero or absent), indexed by ascending strike."""
    grid = StrikeGrid.from_frame(legs)
    ce, pe = grid.sides(legs[column].to_numpy(dtype=np.float64))
    with np.errstate(all="ignore"):
        pcr = np.where(ce > 0, pe / ce, np.nan)
    return pd.Series(pcr, index=pd.Index(grid.strikes, name="strike"), name=f"pcr_{column}")


def writer_payout(strikes: FloatArray, ce_oi: FloatArray, pe_oi: FloatArray) -> FloatArray:
    """Total payout of option writers if the index settles at each listed strike (units × points)."""
    ce = np.nan_to_num(ce_oi, nan=0.0)
    pe = np.nan_to_num(pe_oi, nan=0.0)
    settle = strikes[:, None]
    return (ce[None, :] * np.maximum(settle - strikes[None, :], 0.0)).sum(axis=1) + (
        pe[None, :] * np.maximum(strikes[None, :] - settle, 0.0)
    ).sum(axis=1)


def max_pain_from_grid(strikes: FloatArray, ce_oi: FloatArray, pe_oi: FloatArray) -> float:
    """Strike minimising `writer_payout` (lowest on a tie); NaN when there is no positive OI."""
    if strikes.size == 0 or not (np.nansum(ce_oi) + np.nansum(pe_oi) > 0):
        return math.nan
    return float(strikes[int(np.argmin(writer_payout(strikes, ce_oi, pe_oi)))])


def max_pain(legs: pd.DataFrame) -> float:
    """Max pain of one expiry's legs (long format: `strike`, `side`, `oi`); NaN without OI."""
    grid = StrikeGrid.from_frame(legs)
    ce, pe = grid.sides(legs["oi"].to_numpy(dtype=np.float64))
    return max_pain_from_grid(grid.strikes, ce, pe)


def buildup_labels(price_change: ArrayLike, oi_change: ArrayLike) -> npt.NDArray[np.object_]:
    """OI build-up label per leg from the price and OI changes (see the module docstring)."""
    dp = np.asarray(price_change, dtype=np.float64)
    doi = np.asarray(oi_change, dtype=np.float64)
    labels = np.full(np.broadcast_shapes(dp.shape, doi.shape), "", dtype=object)
    up, down = dp > 0, dp < 0
    more, less = doi > 0, doi < 0
    labels[up & more] = "long_buildup"
    labels[down & more] = "short_buildup"
    labels[up & less] = "short_covering"
    labels[down & less] = "long_unwinding"
    return labels


def oi_change(legs: pd.DataFrame, prev_close_legs: pd.DataFrame | None) -> FloatArray:
    """OI now minus OI in the previous session's closing snapshot, matched on `tradingsymbol`.

    NaN for a leg absent from the previous snapshot (a new strike) or when there is no previous snapshot.
    """
    if prev_close_legs is None or prev_close_legs.empty:
        return np.full(len(legs), np.nan)
    previous = prev_close_legs.drop_duplicates("tradingsymbol", keep="last").set_index("tradingsymbol")["oi"]
    before = legs["tradingsymbol"].map(previous).to_numpy(dtype=np.float64)
    return np.asarray(legs["oi"].to_numpy(dtype=np.float64) - before, dtype=np.float64)


def price_change(legs: pd.DataFrame, prev_close_legs: pd.DataFrame | None = None) -> FloatArray:
    """Last price minus the previous session's close: the leg's own `prev_close`, else the last price of
    the previous session's closing snapshot (matched on `tradingsymbol`); NaN when neither is known."""
    now = legs["last_price"].to_numpy(dtype=np.float64)
    before = legs["prev_close"].to_numpy(dtype=np.float64).copy()
    if prev_close_legs is not None and not prev_close_legs.empty and np.isnan(before).any():
        previous = prev_close_legs.drop_duplicates("tradingsymbol", keep="last").set_index("tradingsymbol")["last_price"]
        fallback = legs["tradingsymbol"].map(previous).to_numpy(dtype=np.float64)
        before = np.where(np.isnan(before), fallback, before)
    return np.asarray(now - before, dtype=np.float64)
