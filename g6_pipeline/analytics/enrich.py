"""One minute of one index: `ChainSnapshot` → `EnrichedChain` (the option rows and the overview row).

Per expiry tag: the forward (synthetic, from put-call parity; see `forward.py`) and its ATM strike, time
to expiry to 15:30 IST, then for every leg at once the Black-76 implied volatility on that forward and
the Greeks w.r.t. spot (Black-Scholes-Merton with the carry implied by the forward, so the two agree).
The overview gathers per tag PCR, volume PCR, max pain, ATM straddle and its changes, ATM IV, 25-delta
risk reversal and butterfly and total OI, plus the index's own changes and collection counts. Anything
that cannot be known is NaN (or '' for a label), never zero and never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.analytics.black import FloatArray
from g6_pipeline.analytics.forward import ForwardEstimate, forward_from_grid
from g6_pipeline.analytics.greeks import greeks, implied_dividend_yield
from g6_pipeline.analytics.iv import IV_STATUS_NAMES, IVStatus, implied_vol_black76_with_status
from g6_pipeline.analytics.positioning import (
    buildup_labels,
    max_pain_from_grid,
    oi_change,
    pcr_from_sides,
    price_change,
)
from g6_pipeline.analytics.smile import atm_iv_from_grid, risk_reversal_butterfly
from g6_pipeline.analytics.straddle import change, straddle_from_grid
from g6_pipeline.analytics.strike_grid import StrikeGrid
from g6_pipeline.analytics.year_fraction import IST, year_fraction
from g6_pipeline.schema import OPTION_COLUMNS, OVERVIEW_COLUMNS, TAG_BITS
from g6_pipeline.settings.model import EXPIRY_TAGS
from g6_pipeline.snapshot import ChainSnapshot, EnrichedChain, SessionReference

_STATUS_NAMES = np.array(IV_STATUS_NAMES, dtype=object)
_TAG_FIELD_NAMES = (
    "expiry", "forward", "atm", "pcr", "pcr_volume", "max_pain", "straddle", "straddle_day_change",
    "straddle_net_change", "atm_iv", "rr25", "bf25", "ce_oi", "pe_oi",
)
_PASSTHROUGH = ("last_price", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "average_price", "prev_close")


@dataclass(frozen=True)
class ExpiryAnalytics:
    """The per-tag numbers of the overview row for one expiry."""

    tag: str
    expiry: date | None
    t_years: float
    forward: ForwardEstimate
    pcr: float
    pcr_volume: float
    max_pain: float
    straddle: float
    straddle_day_change: float
    straddle_net_change: float
    atm_iv: float
    rr25: float
    bf25: float
    ce_oi: float
    pe_oi: float

    def overview_fields(self) -> dict[str, Any]:
        """The `<name>_<tag>` overview columns of this expiry."""
        values: dict[str, Any] = {
            "expiry": self.expiry,
            "forward": self.forward.forward,
            "atm": self.forward.atm,
            "pcr": self.pcr,
            "pcr_volume": self.pcr_volume,
            "max_pain": self.max_pain,
            "straddle": self.straddle,
            "straddle_day_change": self.straddle_day_change,
            "straddle_net_change": self.straddle_net_change,
            "atm_iv": self.atm_iv,
            "rr25": self.rr25,
            "bf25": self.bf25,
            "ce_oi": self.ce_oi,
            "pe_oi": self.pe_oi,
        }
        return {f"{name}_{self.tag}": value for name, value in values.items()}


def _sum(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.sum()) if finite.size else math.nan


def _expiry_of(legs: pd.DataFrame, rows: np.ndarray, tag: str, snapshot: ChainSnapshot) -> date | None:
    if tag in snapshot.expiries:
        return snapshot.expiries[tag]
    if rows.size:
        value = legs["expiry"].iat[int(rows[0])]
        return value if isinstance(value, date) else None
    return None


def enrich(snapshot: ChainSnapshot, rate: float, reference: SessionReference | None = None) -> EnrichedChain:
    """Compute every option row and the overview row of `snapshot` (see `schema.py` for the columns).

    `rate` is the continuously compounded risk-free rate used for discounting and for the synthetic
    forward; `reference` supplies the previous session's close and today's open (all optional).
    """
    ref = reference if reference is not None else SessionReference()
    legs = snapshot.legs
    n = len(legs)
    spot = float(snapshot.spot)
    strike = legs["strike"].to_numpy(dtype=np.float64)
    is_call = legs["side"].to_numpy() == "CE"
    price = legs["last_price"].to_numpy(dtype=np.float64)
    tags = legs["expiry_tag"].to_numpy()

    forward = np.full(n, np.nan)
    atm = np.full(n, np.nan)
    t_years = np.full(n, np.nan)
    groups: list[tuple[str, np.ndarray, StrikeGrid, ForwardEstimate, date | None, float]] = []
    present = set(tags.tolist())
    for tag in [*EXPIRY_TAGS, *sorted(present - set(EXPIRY_TAGS))]:
        rows = np.flatnonzero(tags == tag) if tag in present else np.empty(0, dtype=np.intp)
        expiry = _expiry_of(legs, rows, tag, snapshot)
        if rows.size == 0 or expiry is None:
            continue
        t = year_fraction(snapshot.timestamp, expiry)
        grid = StrikeGrid.from_legs(strike[rows], is_call[rows])
        ce, pe = grid.sides(price[rows])
        estimate = forward_from_grid(grid, ce, pe, t, rate, spot)
        forward[rows], atm[rows], t_years[rows] = estimate.forward, estimate.atm, t
        groups.append((tag, rows, grid, estimate, expiry, t))

    iv, status = implied_vol_black76_with_status(price, forward, strike, t_years, rate, is_call)
    carry = implied_dividend_yield(spot, forward, t_years, rate)
    g = greeks(spot, strike, t_years, rate, iv, is_call, carry)
    d_oi = oi_change(legs, ref.prev_close_legs)
    labels = buildup_labels(price_change(legs, ref.prev_close_legs), d_oi)

    oi = legs["oi"].to_numpy(dtype=np.float64)
    volume = legs["volume"].to_numpy(dtype=np.float64)
    per_tag: dict[str, ExpiryAnalytics] = {}
    for tag, rows, grid, estimate, expiry, t in groups:
        ce_p, pe_p = grid.sides(price[rows])
        ce_oi, pe_oi = grid.sides(oi[rows])
        ce_vol, pe_vol = grid.sides(volume[rows])
        ce_iv, pe_iv = grid.sides(iv[rows])
        hit = np.flatnonzero(grid.strikes == estimate.atm)
        atm_index = int(hit[0]) if hit.size else -1
        straddle = straddle_from_grid(ce_p, pe_p, atm_index)
        atm_vol = atm_iv_from_grid(ce_iv, pe_iv, atm_index)
        rr25, bf25 = risk_reversal_butterfly(is_call[rows], g.delta[rows], iv[rows], atm_vol)
        per_tag[tag] = ExpiryAnalytics(
            tag=tag,
            expiry=expiry,
            t_years=t,
            forward=estimate,
            pcr=pcr_from_sides(ce_oi, pe_oi),
            pcr_volume=pcr_from_sides(ce_vol, pe_vol),
            max_pain=max_pain_from_grid(grid.strikes, ce_oi, pe_oi),
            straddle=straddle,
            straddle_day_change=change(straddle, ref.day_open_straddle.get(tag)),
            straddle_net_change=change(straddle, ref.prev_close_straddle.get(tag)),
            atm_iv=atm_vol,
            rr25=rr25,
            bf25=bf25,
            ce_oi=_sum(ce_oi),
            pe_oi=_sum(pe_oi),
        )

    options = _option_rows(snapshot, forward, atm, t_years, iv, status, g.as_dict(), d_oi, labels)
    overview = _overview_row(snapshot, ref, per_tag, price, status)
    return EnrichedChain(snapshot=snapshot, options=options, overview=overview)


def _option_rows(
    snapshot: ChainSnapshot,
    forward: FloatArray,
    atm: FloatArray,
    t_years: FloatArray,
    iv: FloatArray,
    status: np.ndarray,
    sensitivities: dict[str, FloatArray],
    d_oi: FloatArray,
    labels: np.ndarray,
) -> pd.DataFrame:
    legs = snapshot.legs
    n = len(legs)
    index = pd.RangeIndex(n)
    strike = legs["strike"].to_numpy(dtype=np.float64)
    offset = strike - atm
    known = np.isfinite(offset)
    columns: dict[str, Any] = {
        "timestamp": pd.Series(pd.Timestamp(snapshot.timestamp).tz_convert(IST), index=index),
        "index": np.full(n, snapshot.index, dtype=object),
        "expiry": legs["expiry"].to_numpy(dtype=object),
        "expiry_tag": legs["expiry_tag"].to_numpy(dtype=object),
        "strike": strike,
        "offset": pd.arrays.IntegerArray(np.where(known, np.rint(offset), 0).astype(np.int32), ~known),
        "side": legs["side"].to_numpy(dtype=object),
        "instrument_token": legs["instrument_token"].to_numpy(dtype=np.int64),
        "tradingsymbol": legs["tradingsymbol"].to_numpy(dtype=object),
        "lot_size": legs["lot_size"].to_numpy(dtype=np.int32),
    }
    for name in _PASSTHROUGH:
        columns[name] = legs[name].to_numpy(dtype=np.float64)
    columns |= {
        "oi_change": d_oi,
        "buildup": labels,
        "index_price": np.full(n, float(snapshot.spot)),
        "forward": forward,
        "atm": atm,
        "t_years": t_years,
        "iv": iv,
        "iv_status": _STATUS_NAMES[status] if n else np.empty(0, dtype=object),
        **sensitivities,
    }
    frame = pd.DataFrame(columns, index=index)
    return frame[list(OPTION_COLUMNS)]


def _overview_row(
    snapshot: ChainSnapshot, ref: SessionReference, per_tag: dict[str, ExpiryAnalytics], price: FloatArray, status: np.ndarray
) -> dict[str, Any]:
    spot = float(snapshot.spot)
    high, low = float(snapshot.spot_high), float(snapshot.spot_low)
    legs = snapshot.legs
    quoted = np.isfinite(price) & (price > 0)
    tags_quoted = set(legs["expiry_tag"].to_numpy()[quoted].tolist())
    expected = [tag for tag in snapshot.expiries if tag in TAG_BITS]
    collected = [tag for tag in expected if tag in tags_quoted]
    expected_mask = sum(TAG_BITS[tag] for tag in expected)
    collected_mask = sum(TAG_BITS[tag] for tag in collected)
    row: dict[str, Any] = {
        "timestamp": snapshot.timestamp.astimezone(IST),
        "index": snapshot.index,
        "index_price": spot,
        "index_prev_close": float(snapshot.spot_prev_close),
        "index_net_change": change(spot, snapshot.spot_prev_close),
        "index_day_change": change(spot, ref.day_open_spot),
        "day_high": high,
        "day_low": low,
        "day_width": change(high, low),
        "vix": float(snapshot.vix),
    }
    for tag in EXPIRY_TAGS:
        if tag in per_tag:
            row |= per_tag[tag].overview_fields()
        else:
            row |= {f"{name}_{tag}": math.nan for name in _TAG_FIELD_NAMES}
            row[f"expiry_{tag}"] = snapshot.expiries.get(tag)
    row |= {
        "expiries_expected": len(expected),
        "expiries_collected": len(collected),
        "expected_mask": expected_mask,
        "collected_mask": collected_mask,
        "missing_mask": expected_mask & ~collected_mask,
        "legs_expected": snapshot.legs_requested,
        "legs_collected": len(legs),
        "legs_missing": len(snapshot.missing),
        "iv_failures": int(np.count_nonzero(quoted & (status != IVStatus.OK))),
    }
    return {name: row[name] for name in OVERVIEW_COLUMNS}

