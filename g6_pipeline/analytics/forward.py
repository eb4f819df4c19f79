"""The forward an expiry is priced on, and its ATM strike.

Indian index options are priced by the market off the futures, not off the index: carry and expected
dividends move the forward away from spot·e^{rt}. G6 therefore prices every option with Black-76 on the
forward implied by the chain itself (put-call parity, F = K + e^{rt}·(C − P)), taken at the strike where
|C − P| is smallest — the most liquid pair and the least sensitive to a stale quote. A futures price,
when one is supplied, takes precedence. When no strike has both sides quoted, the forward falls back
to spot carried at the risk-free rate (source "spot"). ATM is the listed strike nearest the forward.
Prices are last traded prices, the same numbers the per-strike CSV shows as `ce` and `pe`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from g6_pipeline.analytics.black import FloatArray
from g6_pipeline.analytics.strike_grid import StrikeGrid

ForwardSource = Literal["futures", "synthetic", "spot", "none"]


@dataclass(frozen=True)
class ForwardEstimate:
    """The forward of one expiry, the strike it was read at, its source and the ATM strike.

    `source` is "futures", "synthetic" (put-call parity at `parity_strike`), "spot" (spot·e^{rt}: no
    strike had both sides quoted) or "none" (no usable input at all: forward and atm are NaN).
    """

    forward: float
    atm: float
    source: ForwardSource
    parity_strike: float = math.nan


def forward_from_grid(
    grid: StrikeGrid,
    ce: FloatArray,
    pe: FloatArray,
    t: float,
    rate: float,
    spot: float = math.nan,
    futures: float = math.nan,
) -> ForwardEstimate:
    """Forward and ATM of one expiry from CE/PE prices per listed strike (see the module docstring)."""
    growth = math.exp(rate * max(t, 0.0)) if math.isfinite(t) and math.isfinite(rate) else math.nan
    if math.isfinite(futures) and futures > 0:
        return ForwardEstimate(futures, _atm(grid, futures), "futures")
    both = np.isfinite(ce) & np.isfinite(pe) & (ce > 0) & (pe > 0)
    if both.any() and math.isfinite(growth):
        gap = np.where(both, np.abs(ce - pe), np.inf)
        i = int(np.argmin(gap))
        forward = float(grid.strikes[i] + growth * (ce[i] - pe[i]))
        if forward > 0:
            return ForwardEstimate(forward, _atm(grid, forward), "synthetic", float(grid.strikes[i]))
    if math.isfinite(spot) and spot > 0 and math.isfinite(growth):
        forward = spot * growth
        return ForwardEstimate(forward, _atm(grid, forward), "spot")
    return ForwardEstimate(math.nan, math.nan, "none")


def _atm(grid: StrikeGrid, forward: float) -> float:
    i = grid.nearest(forward)
    return float(grid.strikes[i]) if i >= 0 else math.nan
