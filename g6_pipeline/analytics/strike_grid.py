"""One expiry's legs laid out side by side: ascending listed strikes, a CE and a PE value per strike.

The chain analytics work on this layout in numpy (a minute's chain is ~1,300 legs; pandas group-bys
per expiry would cost more than all the mathematics).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from g6_pipeline.analytics.black import ArrayLike, FloatArray

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class StrikeGrid:
    """Legs of one expiry mapped onto their listed strikes.

    `strikes` is ascending and unique; leg i sits at `strikes[position[i]]` on the CE side if
    `is_call[i]`, else on the PE side. Legs without a finite strike have position −1 and are ignored.
    """

    strikes: FloatArray
    position: IntArray
    is_call: BoolArray

    @classmethod
    def from_legs(cls, strike: ArrayLike, is_call: ArrayLike) -> StrikeGrid:
        """Grid of the given legs (arrays of equal length)."""
        k = np.asarray(strike, dtype=np.float64)
        calls = np.asarray(is_call, dtype=bool)
        listed = np.isfinite(k)
        strikes, inverse = np.unique(k[listed], return_inverse=True)
        position = np.full(k.shape, -1, dtype=np.intp)
        position[listed] = inverse
        return cls(strikes=strikes, position=position, is_call=calls)

    @property
    def size(self) -> int:
        """Number of listed strikes."""
        return int(self.strikes.size)

    def sides(self, values: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Per-leg values → (CE value per strike, PE value per strike), NaN where a side has no leg.

        `values` may also be a stack of shape (k, legs): the result is then two (k, strikes) arrays.
        """
        v = np.asarray(values, dtype=np.float64)
        ce = np.full((*v.shape[:-1], self.strikes.size), np.nan)
        pe = np.full_like(ce, np.nan)
        listed = self.position >= 0
        calls = listed & self.is_call
        puts = listed & ~self.is_call
        ce[..., self.position[calls]] = v[..., calls]
        pe[..., self.position[puts]] = v[..., puts]
        return ce, pe

    def nearest(self, level: float) -> int:
        """Index of the listed strike nearest `level` (the lower one on a tie); −1 if none or level is NaN."""
        if self.size == 0 or not np.isfinite(level):
            return -1
        return int(np.argmin(np.abs(self.strikes - level)))
