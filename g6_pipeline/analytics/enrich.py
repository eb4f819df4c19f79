"""One minute of one index: `ChainSnapshot` → `EnrichedChain` (the option rows and the overview row).

Per expiry tag: the forward (synthetic, from put-call parity; see `forward.py`) and its ATM strike, time
to expiry to 15:30 IST, then for every leg at once the Black-76 implied volatility on that forward and
the Greeks w.r.t. spot (Black-Scholes-Merton with the carry implied by the forward, so the two agree).
The overview gathers per tag PCR, volume PCR, max pain, ATM straddle and its changes, ATM IV, 25-delta
risk reversal and butterfly and total OI over the stored window, PCR and max pain over the whole listed chain
(`full_chain.py`; the window when the chain was not quoted, said by `pcr_scope`) and the IV rank and
percentile of the ATM IV (`iv_rank.py`, with what its daily closes are), the gamma and delta exposure over the
stored strikes (`exposure.py`), plus the index's own changes and collection counts. Anything
that cannot be known is NaN (or '' for a label), never zero and never an exception. A leg whose quote was
stale (`core.freshness`) is stored with the prices it was quoted with, but nothing is computed from them: its
IV status is `stale`, and forwards, straddles and ATM IVs come from the fresh legs alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from g6_pipeline.analytics.black import FloatArray
from g6_pipeline.analytics.expiry_figures import ExpiryAnalytics
from g6_pipeline.analytics.expiry_time import year_fraction
from g6_pipeline.analytics.exposure import expiry_exposure
from g6_pipeline.analytics.forward import ForwardEstimate, forward_from_grid
from g6_pipeline.analytics.full_chain import NO_TOTALS, ChainTotals, full_chain_totals, totals_from_grid
from g6_pipeline.analytics.iv import IVStatus, implied_vol_black76_with_status
from g6_pipeline.analytics.iv_rank import IV_RANK_MIN_SESSIONS, history_for, iv_rank
from g6_pipeline.analytics.positioning import (
    buildup_labels,
    change_since_close,
    previous_close_of,
)
from g6_pipeline.analytics.sensitivities import greeks, implied_dividend_yield
from g6_pipeline.analytics.smile import atm_iv_from_grid, risk_reversal_butterfly
from g6_pipeline.analytics.straddle import change, straddle_from_grid
from g6_pipeline.analytics.strike_grid import StrikeGrid
from g6_pipeline.core.clock import IST
from g6_pipeline.core.freshness import freshness_columns
from g6_pipeline.core.schema import (
    ADDED_TAG_FIELDS,
    EXPIRY_TAGS,
    IV_STATUSES,
    OPTION_COLUMNS,
    OVERVIEW_COLUMNS,
    PER_TAG_FIELDS,
    TAG_BITS,
)
from g6_pipeline.core.snapshot import ChainSnapshot, EnrichedChain, SessionReference
from g6_pipeline.util.numeric import finite_sum

_STATUS_NAMES = np.array(IV_STATUSES, dtype=object)
_TAG_FIELD_NAMES = tuple(name for name, _ in (*PER_TAG_FIELDS, *ADDED_TAG_FIELDS))


def _expiry_of(expiries: np.ndarray, rows: np.ndarray, tag: str, snapshot: ChainSnapshot) -> date | None:
    """The expiry date of a tag: the snapshot's, else the legs' own (a datetime counts by its date)."""
    value: Any = snapshot.expiries.get(tag)
    if value is None and rows.size:
        value = expiries[int(rows[0])]
    if value is None or pd.isna(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


@dataclass(frozen=True)
class _Expiry:
    """One expiry tag of one snapshot: its rows (into the minute's legs), strike grid and forward."""

    tag: str
    rows: np.ndarray
    grid: StrikeGrid
    estimate: ForwardEstimate
    expiry: date
    t: float


@dataclass(frozen=True)
class _Minute:
    """The legs of all snapshots of a minute, concatenated, as numpy arrays (one pandas lookup per column)."""

    columns: dict[Any, pd.Series]
    bounds: np.ndarray
    strike: FloatArray
    is_call: npt.NDArray[np.bool_]
    price: FloatArray
    """The last price of each fresh leg, NaN for a stale one: what the analytics compute from."""
    tags: np.ndarray
    stale: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, snapshots: Sequence[ChainSnapshot]) -> _Minute:
        legs = snapshots[0].legs if len(snapshots) == 1 else pd.concat([s.legs for s in snapshots], ignore_index=True)
        columns = dict(legs.items())  # frame indexing costs ~10 µs a call: look every column up once
        columns.update(freshness_columns(legs).items())
        stale = columns["stale"].to_numpy(dtype=bool, na_value=False)
        return cls(
            columns=columns,
            bounds=np.cumsum([0, *(len(s.legs) for s in snapshots)]),
            strike=columns["strike"].to_numpy(dtype=np.float64),
            is_call=columns["side"].to_numpy() == "CE",
            price=np.where(stale, np.nan, columns["last_price"].to_numpy(dtype=np.float64)),
            tags=columns["expiry_tag"].to_numpy(),
            stale=stale,
        )

    def floats(self, name: str) -> FloatArray:
        """A numeric leg column as float64."""
        return self.columns[name].to_numpy(dtype=np.float64)


def _expiries(
    snapshot: ChainSnapshot, minute: _Minute, start: int, stop: int, rate: float,
    forward: FloatArray, atm: FloatArray, t_years: FloatArray,
) -> list[_Expiry]:
    """Forward, ATM and time to expiry of every expiry tag of one snapshot (written into the leg arrays)."""
    tags = minute.tags[start:stop]
    expiries = minute.columns["expiry"].to_numpy()
    present = set(tags.tolist())
    out = []
    for tag in [*EXPIRY_TAGS, *sorted(present - set(EXPIRY_TAGS))]:
        if tag not in present:
            continue
        rows = start + np.flatnonzero(tags == tag)
        expiry = _expiry_of(expiries, rows, tag, snapshot)
        if expiry is None:
            continue
        t = year_fraction(snapshot.timestamp, expiry)
        grid = StrikeGrid.from_legs(minute.strike[rows], minute.is_call[rows])
        ce, pe = grid.sides(minute.price[rows])
        estimate = forward_from_grid(grid, ce, pe, t, rate, float(snapshot.spot))
        forward[rows], atm[rows], t_years[rows] = estimate.forward, estimate.atm, t
        out.append(_Expiry(tag, rows, grid, estimate, expiry, t))
    return out


def enrich_many(
    snapshots: Sequence[ChainSnapshot],
    rate: float,
    references: Mapping[str, SessionReference] | None = None,
    iv_rank_min_sessions: int = IV_RANK_MIN_SESSIONS,
) -> list[EnrichedChain]:
    """`enrich` for one minute's snapshots at once (references by index name, all optional).

    `iv_rank_min_sessions`: daily closes needed before an IV rank is given (`iv_rank.py`).

    The legs of all indices are processed together: one implied-volatility and one Greeks pass, one
    option frame sliced per index. This is what keeps a whole minute within a few milliseconds.
    """
    if not snapshots:
        return []
    refs = references or {}
    minute = _Minute.of(snapshots)
    n = len(minute.price)
    forward, atm, t_years = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    bounds = minute.bounds
    expiries = [
        _expiries(s, minute, int(a), int(b), rate, forward, atm, t_years)
        for s, a, b in zip(snapshots, bounds[:-1], bounds[1:], strict=True)
    ]
    spot = np.repeat([float(s.spot) for s in snapshots], np.diff(bounds))
    iv, status = implied_vol_black76_with_status(minute.price, forward, minute.strike, t_years, rate, minute.is_call)
    status[minute.stale] = IVStatus.STALE
    carry = implied_dividend_yield(spot, forward, t_years, rate)
    sensitivities = greeks(spot, minute.strike, t_years, rate, iv, minute.is_call, carry)

    oi = minute.floats("oi")
    prev_oi, prev_last = np.full(n, np.nan), np.full(n, np.nan)
    symbols = minute.columns["tradingsymbol"].tolist()
    for s, a, b in zip(snapshots, bounds[:-1], bounds[1:], strict=True):
        ref = refs.get(s.index)
        if ref is not None and ref.prev_close_legs is not None:
            prev_oi[a:b], prev_last[a:b] = previous_close_of(symbols[a:b], ref.prev_close_legs)
    d_oi = oi - prev_oi
    labels = buildup_labels(change_since_close(minute.price, minute.floats("prev_close"), prev_last), d_oi)

    computed: dict[str, Any] = {
        "forward": forward, "atm": atm, "t_years": t_years, "iv": iv, "oi_change": d_oi, "index_price": spot,
        **sensitivities.as_dict(),
    }
    options = _option_rows(snapshots, minute, computed, status, labels)
    volume = minute.floats("volume")
    chains = []
    for s, groups, a, b in zip(snapshots, expiries, bounds[:-1], bounds[1:], strict=True):
        ref = refs.get(s.index) or SessionReference()
        chain_totals = full_chain_totals(s.chain)
        per_tag = {
            g.tag: _expiry_analytics(
                g, ref, minute.price, oi, volume, iv, sensitivities.delta, minute.is_call, chain_totals.get(g.tag),
                iv_rank_min_sessions, s, sensitivities.gamma,
            )
            for g in groups
        }
        rows = options if len(snapshots) == 1 else _rows_of(options, int(a), int(b))
        overview = _overview_row(s, ref, per_tag, minute.price[a:b], minute.tags[a:b], status[a:b])
        chains.append(EnrichedChain(snapshot=s, options=rows, overview=overview))
    return chains


def enrich(
    snapshot: ChainSnapshot,
    rate: float,
    reference: SessionReference | None = None,
    iv_rank_min_sessions: int = IV_RANK_MIN_SESSIONS,
) -> EnrichedChain:
    """Compute every option row and the overview row of `snapshot` (see `schema.py` for the columns).

    `rate` is the continuously compounded risk-free rate used for discounting and for the synthetic
    forward; `reference` supplies the previous session's close, today's open and the daily ATM-IV closes
    (all optional).
    """
    references = {snapshot.index: reference} if reference is not None else None
    return enrich_many([snapshot], rate, references, iv_rank_min_sessions)[0]


def _rows_of(options: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    part = options.iloc[start:stop]
    part.index = pd.RangeIndex(stop - start)
    return part


def _expiry_analytics(
    g: _Expiry, ref: SessionReference, price: FloatArray, oi: FloatArray, volume: FloatArray, iv: FloatArray,
    delta: FloatArray, is_call: npt.NDArray[np.bool_], chain: ChainTotals | None, min_sessions: int,
    snapshot: ChainSnapshot, gamma: FloatArray,
) -> ExpiryAnalytics:
    """The per-tag figures of one expiry; `chain` its full-chain totals when its whole chain was quoted."""
    rows = g.rows
    closes, history_source = history_for(ref.atm_iv_closes, g.tag, snapshot.provider)
    gex, dex = expiry_exposure(is_call[rows], gamma[rows], delta[rows], oi[rows], float(snapshot.spot))
    (ce_p, ce_oi, ce_iv), (pe_p, pe_oi, pe_iv) = g.grid.sides(np.stack([price[rows], oi[rows], iv[rows]]))
    hit = np.flatnonzero(g.grid.strikes == g.estimate.atm)
    atm_index = int(hit[0]) if hit.size else -1
    straddle = straddle_from_grid(ce_p, pe_p, atm_index)
    atm_vol = atm_iv_from_grid(ce_iv, pe_iv, atm_index)
    rr25, bf25 = risk_reversal_butterfly(is_call[rows], delta[rows], iv[rows], atm_vol)
    window = totals_from_grid(g.grid, oi[rows], volume[rows], "window")
    return ExpiryAnalytics(
        tag=g.tag,
        expiry=g.expiry,
        t_years=g.t,
        forward=g.estimate,
        pcr=window.pcr,
        pcr_volume=window.pcr_volume,
        max_pain=window.max_pain,
        straddle=straddle,
        straddle_day_change=change(straddle, ref.day_open_straddle.get(g.tag)),
        straddle_net_change=change(straddle, ref.prev_close_straddle.get(g.tag)),
        atm_iv=atm_vol,
        rr25=rr25,
        bf25=bf25,
        ce_oi=finite_sum(ce_oi),
        pe_oi=finite_sum(pe_oi),
        chain=chain or window,
        iv_rank=iv_rank(atm_vol, closes, min_sessions),
        iv_history_source=history_source,
        gex=gex,
        dex=dex,
    )


def _option_rows(
    snapshots: Sequence[ChainSnapshot],
    minute: _Minute,
    computed: dict[str, Any],
    status: np.ndarray,
    labels: np.ndarray,
) -> pd.DataFrame:
    """All option rows of the minute in `OPTION_COLUMNS` order; leg columns pass through as they are."""
    sizes = np.diff(minute.bounds)
    n = int(sizes.sum())
    offset = minute.strike - computed["atm"]
    known = np.isfinite(offset)
    computed |= {
        "timestamp": _repeat_times([s.timestamp for s in snapshots], sizes),
        "index": pd.array(np.repeat(np.array([s.index for s in snapshots], dtype=object), sizes), dtype="str"),
        "offset": pd.arrays.IntegerArray(np.where(known, np.rint(offset), 0).astype(np.int32), ~known),
        "instrument_token": minute.columns["instrument_token"].to_numpy(dtype=np.int64),
        "lot_size": minute.columns["lot_size"].to_numpy(dtype=np.int32),
        "buildup": pd.array(labels, dtype="str"),
        "iv_status": pd.array(_STATUS_NAMES[status] if n else np.empty(0, dtype=object), dtype="str"),
        "source": pd.array(np.repeat(np.array([s.provider for s in snapshots], dtype=object), sizes), dtype="str"),
        "fetched_at": _repeat_times([_to_ms(s.fetched_at) for s in snapshots], sizes),
    }
    data = {name: computed[name] if name in computed else minute.columns[name].array for name in OPTION_COLUMNS}
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=True)


def _to_ms(moment: datetime) -> datetime:
    """`moment` cut to the millisecond, the precision `fetched_at` is stored with."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _repeat_times(times: list[datetime], sizes: np.ndarray) -> Any:
    """Each tz-aware time repeated `sizes[i]` times, as an IST datetime array."""
    stamps = [pd.Timestamp(t).tz_convert("UTC").tz_localize(None).as_unit("ns").asm8 for t in times]
    return pd.DatetimeIndex(np.repeat(np.array(stamps, dtype="datetime64[ns]"), sizes)).tz_localize("UTC").tz_convert(IST).array


def _overview_row(
    snapshot: ChainSnapshot,
    ref: SessionReference,
    per_tag: dict[str, ExpiryAnalytics],
    price: FloatArray,
    tags: np.ndarray,
    status: np.ndarray,
) -> dict[str, Any]:
    spot = float(snapshot.spot)
    high, low = float(snapshot.spot_high), float(snapshot.spot_low)
    quoted = np.isfinite(price) & (price > 0)
    tags_quoted = set(tags[quoted].tolist())
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
            row |= {f"pcr_scope_{tag}": NO_TOTALS.scope, f"iv_rank_status_{tag}": "", f"iv_history_{tag}": 0,
                    f"iv_history_source_{tag}": ""}
            row[f"expiry_{tag}"] = snapshot.expiries.get(tag)
    row |= {
        "expiries_expected": len(expected),
        "expiries_collected": len(collected),
        "expected_mask": expected_mask,
        "collected_mask": collected_mask,
        "missing_mask": expected_mask & ~collected_mask,
        "legs_expected": snapshot.legs_requested,
        "legs_collected": len(snapshot.legs),
        "legs_missing": len(snapshot.missing),
        "iv_failures": int(np.count_nonzero(quoted & (status != IVStatus.OK))),
        "source": snapshot.provider,
        "fetched_at": _to_ms(snapshot.fetched_at).astimezone(IST),
        "exchange_timestamp": snapshot.exchange_timestamp,
        "quote_age_seconds": float(snapshot.quote_age_seconds),
        "stale": snapshot.stale,
        "legs_stale": snapshot.legs_stale,
    }
    return {name: row[name] for name in OVERVIEW_COLUMNS}

