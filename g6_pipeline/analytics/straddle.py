"""The ATM straddle (tp = ce + pe at the ATM strike) and its changes through the day.

`day_change` is measured against the day's first straddle of the same expiry tag, `net_change` against
the previous session's last one (the original's tp_day_change and tp_net_change). Either is NaN when
its reference is unknown: a missing reference is never read as zero.
"""

from __future__ import annotations

import math

from g6_pipeline.analytics.black import FloatArray


def straddle_from_grid(ce: FloatArray, pe: FloatArray, atm_index: int) -> float:
    """ce + pe at the ATM strike; NaN when either side is missing there."""
    if atm_index < 0:
        return math.nan
    value = float(ce[atm_index] + pe[atm_index])
    return value if math.isfinite(value) else math.nan


def change(value: float, reference: float | None) -> float:
    """value − reference, NaN when either is unknown."""
    if reference is None:
        return math.nan
    result = value - float(reference)
    return result if math.isfinite(result) else math.nan
