"""How far an expiry's stored strike window reaches: at least the configured window, and out to its 25-delta wings.

The 25-delta risk reversal and butterfly need the strikes where |delta| ≈ 0.25 on both sides. Those lie
further out the longer the expiry and the higher its volatility (for a BANKNIFTY monthly, well beyond ±10
strikes), so each expiry's window is widened, deterministically, to the listed strikes where the forward
delta of the call and of the put is 0.20 (a little beyond 0.25, for the smile and a moving market), plus
`WING_MARGIN` listed strikes.

With total volatility s = σ√t and forward F, a forward delta of d is reached at
K = F · exp(±N⁻¹(1 − d) · s + s²/2) (+ for the call, − for the put). s comes from the ATM straddle, by the
Brenner–Subrahmanyam approximation straddle ≈ √(2/π) · F · s: no implied-volatility solve is needed to pick
the strikes to collect (the priced IVs are `analytics.iv`'s).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from g6_pipeline.instruments.universe import strike_window

WING_DELTA = 0.20
"""|Forward delta| the window reaches on each side (the 25-delta wings, with room to spare)."""
WING_Z = NormalDist().inv_cdf(1 - WING_DELTA)
"""N⁻¹(1 − WING_DELTA): the standard-normal quantile of the wing delta."""
WING_MARGIN = 2
"""Listed strikes added beyond each wing strike."""
_STRADDLE_FACTOR = math.sqrt(2.0 / math.pi)


def total_vol_from_straddle(straddle: float, forward: float) -> float:
    """σ√t implied by an at-the-money straddle price (Brenner–Subrahmanyam); NaN when either is unusable."""
    if not (math.isfinite(straddle) and math.isfinite(forward)) or straddle <= 0 or forward <= 0:
        return math.nan
    return straddle / (_STRADDLE_FACTOR * forward)


def wing_levels(forward: float, total_vol: float) -> tuple[float, float]:
    """(put wing, call wing): the levels where the forward delta of the put / the call is `WING_DELTA`."""
    s = total_vol
    return forward * math.exp(-WING_Z * s + s * s / 2), forward * math.exp(WING_Z * s + s * s / 2)


def wing_window(
    strikes: np.ndarray, centre: float, total_vol: float, below: int, above: int, margin: int = WING_MARGIN
) -> np.ndarray:
    """The configured window around `centre`, widened to the 0.20-delta strikes plus `margin` on each side.

    Sorted unique listed strikes. Without a usable `total_vol` (NaN or not positive) it is the configured
    window as `strike_window` gives it.
    """
    base = strike_window(strikes, centre, below, above)
    if not (math.isfinite(total_vol) and total_vol > 0 and math.isfinite(centre) and centre > 0):
        return base
    values = np.unique(np.asarray(strikes, dtype="float64"))
    low, high = wing_levels(centre, total_vol)
    first = int(np.searchsorted(values, low, side="right")) - 1  # the last listed strike at or below the put wing
    last = int(np.searchsorted(values, high, side="left"))  # the first listed strike at or above the call wing
    wings = values[max(first - margin, 0) : last + margin + 1]
    return np.union1d(base, wings)
