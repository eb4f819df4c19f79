"""PCR and max pain over every listed strike of an expiry, as the screens traders compare with compute them.

The provider quotes the whole chain of each expiry when the minute's call budget allows
(`ChainSnapshot.chain`, OI and volume only); an expiry whose chain was not quoted falls back to its stored
window, and says so (`pcr_scope` "window"). The formulas are those of `positioning`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from g6_pipeline.analytics.positioning import max_pain_from_grid, pcr_from_sides
from g6_pipeline.analytics.strike_grid import StrikeGrid


@dataclass(frozen=True)
class ChainTotals:
    """One expiry's PCR (OI and volume) and max pain, and what they cover (`schema.PCR_SCOPES`)."""

    pcr: float
    pcr_volume: float
    max_pain: float
    scope: str


def totals_from_grid(grid: StrikeGrid, oi: np.ndarray, volume: np.ndarray, scope: str) -> ChainTotals:
    """`ChainTotals` of legs laid out on `grid` (per-leg OI and volume)."""
    (ce_oi, ce_vol), (pe_oi, pe_vol) = grid.sides(np.stack([oi, volume]))
    return ChainTotals(
        pcr=pcr_from_sides(ce_oi, pe_oi),
        pcr_volume=pcr_from_sides(ce_vol, pe_vol),
        max_pain=max_pain_from_grid(grid.strikes, ce_oi, pe_oi),
        scope=scope,
    )


def full_chain_totals(chain: pd.DataFrame | None) -> dict[str, ChainTotals]:
    """Expiry tag → `ChainTotals` over every contract of the tag in `chain` (scope "full")."""
    if chain is None or chain.empty:
        return {}
    tags = chain["expiry_tag"].to_numpy(object)
    strike = chain["strike"].to_numpy(np.float64)
    is_call = chain["side"].to_numpy(object) == "CE"
    oi = chain["oi"].to_numpy(np.float64)
    volume = chain["volume"].to_numpy(np.float64)
    out = {}
    for tag in dict.fromkeys(tags.tolist()):
        rows = np.flatnonzero(tags == tag)
        grid = StrikeGrid.from_legs(strike[rows], is_call[rows])
        out[str(tag)] = totals_from_grid(grid, oi[rows], volume[rows], "full")
    return out


NO_TOTALS = ChainTotals(math.nan, math.nan, math.nan, "")
"""The totals of an expiry tag that was not collected."""
