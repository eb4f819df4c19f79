"""Gamma and delta exposure by strike and in total: Greeks × open interest, over a chain's stored rows.

Units. G6 stores OI in units of the underlying (contracts × lot size, `schema.py`), and its Greeks per one
unit of the underlying (delta per point, gamma per point). So a leg's exposure is Greek × OI, with no lot
size: multiplying by the lot size again would count it twice. Per strike and in total:

    gamma        = Σ s·Γ·OI        change of delta (units of the underlying) for a 1-point rise of the index
    gamma_rupees = gamma·S²/100    that change of delta in rupees, for a 1 % rise of the index
    delta        = Σ s·Δ·OI        delta held, in units of the underlying
    delta_rupees = delta·S         that delta in rupees

with S the index price of the row and s the sign of the position whose exposure is measured:

- `conventional` (default): s = +1 for calls and −1 for puts, the published "GEX" convention. It reads as the
  exposure of dealers who are long the calls and short the puts the market holds (customers sell calls and
  buy puts): a positive total gamma means dealers are long gamma and trade against moves (a pinning market),
  a negative one that they are short gamma and trade with them.
- `dealer_short_calls`: s = −1 for calls and +1 for puts, the opposite book (dealers short the calls, long
  the puts); every figure is the conventional one negated.

Δ carries its own sign (a put's is negative), so under `conventional` a put adds −Δ·OI > 0 to `delta`.
A contract listed under two expiry tags (next_week and this_month in a month's last week) is counted once.
A leg whose Greek or OI is unknown adds nothing and is counted in `legs_unpriced`; a strike with no priced
leg is NaN, never 0.

Every minute's overview carries, per expiry tag, the conventional totals in rupees over the stored strikes
(`expiry_exposure`): `gex_<tag>` (gamma_rupees) and `dex_<tag>` (delta_rupees). They cover the strikes the
minute stored (the configured window), not strikes outside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from g6_pipeline.analytics.black import FloatArray
from g6_pipeline.util.numeric import finite_sum

Convention = Literal["conventional", "dealer_short_calls"]
SIGNS: dict[str, tuple[float, float]] = {"conventional": (1.0, -1.0), "dealer_short_calls": (-1.0, 1.0)}
"""Convention → (sign of a call, sign of a put)."""
EXPOSURE_COLUMNS: tuple[str, ...] = (
    "strike", "call_gamma", "put_gamma", "gamma", "gamma_rupees", "call_delta", "put_delta", "delta", "delta_rupees",
    "legs_unpriced",
)
"""Columns of `exposure_by_strike` (after the `timestamp` when the rows hold one)."""
_CONTRACT = ("expiry", "strike", "side")


@dataclass(frozen=True)
class ExposureTotals:
    """A chain's exposure summed over its strikes (see the module docstring for units and signs)."""

    gamma: float
    gamma_rupees: float
    delta: float
    delta_rupees: float
    legs_unpriced: int


def signed(is_call: npt.ArrayLike, greek: npt.ArrayLike, oi: npt.ArrayLike,
           convention: Convention = "conventional") -> FloatArray:
    """s·Greek·OI of each leg, NaN where the Greek or the OI is unknown."""
    call, put = SIGNS[convention]
    sign = np.where(np.asarray(is_call, dtype=bool), call, put)
    return np.asarray(sign * np.asarray(greek, dtype=np.float64) * np.asarray(oi, dtype=np.float64), dtype=np.float64)


def expiry_exposure(
    is_call: npt.ArrayLike, gamma: npt.ArrayLike, delta: npt.ArrayLike, oi: npt.ArrayLike, spot: float
) -> tuple[float, float]:
    """(gamma_rupees, delta_rupees) summed over the legs of one expiry (each contract once), conventional signs:
    the overview's `gex_<tag>` and `dex_<tag>`. NaN when no leg has a Greek and an OI."""
    gamma_units = finite_sum(signed(is_call, gamma, oi))
    delta_units = finite_sum(signed(is_call, delta, oi))
    return gamma_units * spot * spot / 100.0, delta_units * spot


def _signed(rows: pd.DataFrame, greek: str, convention: Convention) -> pd.Series:
    """s·Greek·OI of each row, NaN where the Greek or the OI is unknown."""
    value = signed(rows["side"].to_numpy(object) == "CE", rows[greek].to_numpy(np.float64),
                   rows["oi"].to_numpy(np.float64), convention)
    return pd.Series(value, index=rows.index)


def _sum(values: pd.Series) -> float:
    return finite_sum(values.to_numpy(np.float64))


def exposure_by_strike(options: pd.DataFrame, convention: Convention = "conventional") -> pd.DataFrame:
    """Gamma and delta exposure per strike of option rows (`schema.OPTION_COLUMNS`: at least `strike`, `side`,
    `expiry`, `gamma`, `delta`, `oi`, `index_price`), per minute when the rows carry a `timestamp`.

    Pass the rows of one expiry tag for that expiry alone; rows of several expiries add up per strike.
    """
    if convention not in SIGNS:
        raise ValueError(f"unknown exposure convention {convention!r} (known: {', '.join(SIGNS)})")
    minute = ["timestamp"] if "timestamp" in options.columns else []
    rows = options.drop_duplicates([*minute, *_CONTRACT]).reset_index(drop=True)
    spot = rows["index_price"].to_numpy(np.float64)
    is_call = rows["side"].to_numpy(object) == "CE"
    gamma, delta = _signed(rows, "gamma", convention), _signed(rows, "delta", convention)
    frame = pd.DataFrame({
        **{c: rows[c] for c in minute},
        "strike": rows["strike"].to_numpy(np.float64),
        "call_gamma": gamma.where(is_call), "put_gamma": gamma.where(~is_call),
        "gamma": gamma, "gamma_rupees": gamma * spot * spot / 100.0,
        "call_delta": delta.where(is_call), "put_delta": delta.where(~is_call),
        "delta": delta, "delta_rupees": delta * spot,
        "legs_unpriced": (~np.isfinite(gamma) | ~np.isfinite(delta)).astype(np.int64),
    })
    keys = [*minute, "strike"]
    sums = {c: _sum for c in EXPOSURE_COLUMNS if c not in ("strike", "legs_unpriced")}
    out = frame.groupby(keys, sort=True).agg({**sums, "legs_unpriced": "sum"}).reset_index()
    return out.loc[:, [*minute, *EXPOSURE_COLUMNS]]


def exposure_totals(by_strike: pd.DataFrame) -> ExposureTotals:
    """The totals of `exposure_by_strike` rows of one minute (NaN when no strike was priced)."""
    return ExposureTotals(
        gamma=_sum(by_strike["gamma"]),
        gamma_rupees=_sum(by_strike["gamma_rupees"]),
        delta=_sum(by_strike["delta"]),
        delta_rupees=_sum(by_strike["delta_rupees"]),
        legs_unpriced=int(by_strike["legs_unpriced"].sum()),
    )


def totals_by_minute(by_strike: pd.DataFrame) -> pd.DataFrame:
    """`exposure_totals` of each minute of `exposure_by_strike` rows that carry a `timestamp`."""
    rows = [
        {"timestamp": ts, **asdict(exposure_totals(group))}
        for ts, group in by_strike.groupby("timestamp", sort=True)
    ]
    return pd.DataFrame(rows, columns=["timestamp", "gamma", "gamma_rupees", "delta", "delta_rupees", "legs_unpriced"])
