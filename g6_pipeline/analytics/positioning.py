"""Open-interest analytics on arrays: put-call ratios, max pain, changes since the previous close, build-up labels.

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
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from g6_pipeline.analytics.black import ArrayLike, FloatArray
from g6_pipeline.core.schema import BUILDUP_LABELS
from g6_pipeline.util.numeric import finite_sum


def ratio(numerator: float, denominator: float) -> float:
    """numerator ÷ denominator, NaN unless both are finite and the denominator is positive."""
    if math.isfinite(numerator) and math.isfinite(denominator) and denominator > 0:
        return numerator / denominator
    return math.nan


def pcr_from_sides(ce: FloatArray, pe: FloatArray) -> float:
    """ΣPE ÷ ΣCE over per-strike (or per-leg) values; NaN when the CE side has no positive total."""
    return ratio(finite_sum(pe), finite_sum(ce))


def writer_payout(strikes: FloatArray, ce_oi: FloatArray, pe_oi: FloatArray) -> FloatArray:
    """Total payout of option writers if the index settles at each listed strike (units × points).

    With ascending strikes K_j: calls pay Σ_{i<j} CE_i·(K_j − K_i) = K_j·ΣCE_{<j} − Σ(CE·K)_{<j} and puts
    Σ_{i>j} PE_i·(K_i − K_j), so the whole curve takes a few cumulative sums instead of an m × m table.
    """
    ce = np.where(np.isnan(ce_oi), 0.0, ce_oi)
    pe = np.where(np.isnan(pe_oi), 0.0, pe_oi)
    ce_below = np.cumsum(ce) - ce
    ce_k_below = np.cumsum(ce * strikes) - ce * strikes
    pe_above = pe.sum() - np.cumsum(pe)
    pe_k_above = (pe * strikes).sum() - np.cumsum(pe * strikes)
    return np.asarray(strikes * ce_below - ce_k_below + pe_k_above - strikes * pe_above, dtype=np.float64)


def max_pain_from_grid(strikes: FloatArray, ce_oi: FloatArray, pe_oi: FloatArray) -> float:
    """Strike minimising `writer_payout` (lowest on a tie); NaN when there is no positive OI."""
    if strikes.size == 0 or not (np.nansum(ce_oi) + np.nansum(pe_oi) > 0):
        return math.nan
    payout = writer_payout(strikes, ce_oi, pe_oi)
    # exact ties can differ in the last bits after the cumulative sums: compare with a relative tolerance
    lowest = payout.min()
    return float(strikes[int(np.flatnonzero(payout <= lowest + 1e-12 * abs(lowest))[0])])


def buildup_labels(price_change: ArrayLike, oi_change: ArrayLike) -> npt.NDArray[np.object_]:
    """OI build-up label per leg from the price and OI changes (see the module docstring): `BUILDUP_LABELS`."""
    long_buildup, short_buildup, short_covering, long_unwinding, none = BUILDUP_LABELS
    dp = np.asarray(price_change, dtype=np.float64)
    doi = np.asarray(oi_change, dtype=np.float64)
    labels = np.full(np.broadcast_shapes(dp.shape, doi.shape), none, dtype=object)
    up, down = dp > 0, dp < 0
    more, less = doi > 0, doi < 0
    labels[up & more] = long_buildup
    labels[down & more] = short_buildup
    labels[up & less] = short_covering
    labels[down & less] = long_unwinding
    return labels


def previous_close_of(symbols: Sequence[str], prev_close_legs: pd.DataFrame | None) -> tuple[FloatArray, FloatArray]:
    """(OI, last price) of each symbol in the previous session's closing snapshot (the last row wins on
    duplicates); NaN for symbols it does not contain, or all NaN without a snapshot."""
    n = len(symbols)
    if prev_close_legs is None or prev_close_legs.empty or n == 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    previous = prev_close_legs["tradingsymbol"].tolist()
    oi = dict(zip(previous, prev_close_legs["oi"].tolist(), strict=True))
    last = dict(zip(previous, prev_close_legs["last_price"].tolist(), strict=True))
    nan = math.nan
    return (
        np.fromiter((oi.get(sym, nan) for sym in symbols), dtype=np.float64, count=n),
        np.fromiter((last.get(sym, nan) for sym in symbols), dtype=np.float64, count=n),
    )


def change_since_close(last_price: FloatArray, prev_close: FloatArray, prev_snapshot_price: FloatArray) -> FloatArray:
    """last_price − prev_close, taking the closing snapshot's price where a leg's own prev_close is NaN."""
    return np.asarray(last_price - np.where(np.isnan(prev_close), prev_snapshot_price, prev_close), dtype=np.float64)
