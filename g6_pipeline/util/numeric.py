"""The one way G6 turns a loosely typed value (a quote field, a table cell, a JSON number) into a float."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt


def finite_float(value: Any) -> float:
    """`value` as a finite float; NaN for None, pandas NA, text that is not a number, and ±inf."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def finite_or_none(value: Any) -> float | None:
    """`value` as a finite float, or None where `finite_float` gives NaN (for JSON and display)."""
    out = finite_float(value)
    return None if math.isnan(out) else out


def finite_sum(values: npt.ArrayLike) -> float:
    """The sum of the finite values; NaN when there is none (never a made-up zero)."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    return float(finite.sum()) if finite.size else math.nan
