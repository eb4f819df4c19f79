"""A whole simulated session as one vectorised block: every minute × listed strike × side priced at once.

Each minute then stores the strikes the live provider would have (`providers.window`: the window walks from
minute to minute as a collector started at the open walks it) and carries the full chain for PCR and max
pain, so a backfilled day holds the rows the minute cycle collects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import EXPIRY_TIME, IST
from g6_pipeline.core.freshness import exchange_times
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot
from g6_pipeline.instruments.universe import IndexUniverse, build_universe, strike_window_centre
from g6_pipeline.providers.chain_plan import chain_table
from g6_pipeline.providers.quotes import QUOTE_COLUMNS
from g6_pipeline.providers.synthetic.fields import option_fields
from g6_pipeline.providers.synthetic.items import option_columns
from g6_pipeline.providers.synthetic.paths import DailyModel, DayPath, day_path, epoch_seconds
from g6_pipeline.providers.synthetic.pricing import vix_level
from g6_pipeline.providers.synthetic.specs import SPECS, IndexSpec
from g6_pipeline.providers.window import atm_strike, expiry_window, leg_price, straddle_total_vol
from g6_pipeline.settings.model import IndexSettings

Instruments = Callable[[str, date], pd.DataFrame]
"""The parsed instrument dump of an exchange on a day (`SyntheticMarket.instruments`)."""
_SIDES = np.array(["CE", "PE"])
_IS_CALL = np.array([True, False])


@dataclass(frozen=True)
class _Session:
    """The minutes of one session and what every index's block shares."""

    day: date
    minutes: int
    start: int
    """Unix seconds of the first minute."""
    epochs: np.ndarray
    stamps: list[datetime]
    prev_day: date
    prev_close_epoch: int
    vix: np.ndarray


def _session(calendar: MarketCalendar, model: DailyModel, day: date) -> _Session:
    session = calendar.session(day)
    if session is None:
        raise ValueError(f"{day} is not a trading day")
    prev_day = calendar.previous_trading_day(day)
    prev_session = calendar.session(prev_day)
    assert prev_session is not None
    n = int((session.end - session.start).total_seconds() // 60)
    start = epoch_seconds(session.start)
    nifty = day_path(model, SPECS["NIFTY"], day, n, start, prev_day)
    return _Session(
        day=day, minutes=n, start=start, epochs=start + 60 * np.arange(n),
        stamps=[session.start + timedelta(minutes=i) for i in range(n)], prev_day=prev_day,
        prev_close_epoch=epoch_seconds(prev_session.end),
        vix=np.array([vix_level(float(v), SPECS["NIFTY"].base_vol) for v in nifty.vol[:n]]),
    )


def _state(path: DayPath, s: _Session) -> dict[str, np.ndarray]:
    """The `option_fields` state of every minute, shaped (minute, 1, 1) to broadcast over strikes × sides."""
    n = s.minutes
    return {
        "spot": np.exp(path.log_spot[:n])[:, None, None], "vol": path.vol[:n, None, None],
        "epoch": s.epochs[:, None, None],
        "open": np.array(float(np.exp(path.log_spot[0]))), "open_vol": np.array(float(path.vol[0])),
        "open_epoch": np.array(s.start), "prev_close": np.array(path.prev_close),
        "prev_vol": np.array(path.prev_vol), "prev_close_epoch": np.array(s.prev_close_epoch),
        "progress": (np.arange(n) / n)[:, None, None], "traded": ((np.arange(n) + 1) / n)[:, None, None],
        "minute": np.arange(n)[:, None, None],
    }


@dataclass(frozen=True)
class _Expiry:
    """Every listed contract of one expiry over the session, priced as one block (minute × strike × side)."""

    expiry: date
    strikes: np.ndarray
    """Sorted listed strikes (K); the contract arrays are (K, 2), CE then PE."""
    token: np.ndarray
    symbol: np.ndarray
    lot: np.ndarray
    quotes: dict[str, np.ndarray]
    """`QUOTE_COLUMNS` as `parse_quote` reads them from the market's `/quote` items, each (minute, K, 2)."""
    price: np.ndarray
    """`leg_price` of every leg, (minute, K, 2)."""


def _price_expiry(
    spec: IndexSpec, uni: IndexUniverse, expiry: date, s: _Session, st: Mapping[str, np.ndarray]
) -> _Expiry:
    """Price every listed strike of `expiry` for every minute of the session in one vectorised call."""
    ks = uni.strikes[expiry]
    c = uni.contracts.loc[uni.contracts["expiry"] == expiry].sort_values(["strike", "side"])
    if len(c) != 2 * len(ks) or not (c["side"].to_numpy()[::2] == "CE").all():
        raise ValueError(f"{spec.name} {expiry}: the synthetic dump lacks a CE/PE pair at some strike")
    exp_epoch = epoch_seconds(datetime.combine(expiry, EXPIRY_TIME, IST))
    tok = c["instrument_token"].to_numpy(np.int64).reshape(-1, 2)
    lot = c["lot_size"].to_numpy(np.int64).reshape(-1, 2)
    f = option_fields(spec, st, tok[None], ks[None, :, None], _IS_CALL[None, None, :], np.array(exp_epoch),
                      lot[None].astype(np.float64), s.day.toordinal())
    quotes = option_columns(f, s.epochs[:, None, None])
    return _Expiry(expiry, ks, tok, c["tradingsymbol"].to_numpy(object).reshape(-1, 2), lot, quotes,
                   leg_price(quotes["bid"], quotes["ask"], quotes["last_price"]))


def _window_masks(ix: IndexSettings, s: _Session, spot: np.ndarray, priced: list[_Expiry]) -> dict[date, np.ndarray]:
    """Each expiry's stored strikes per minute, (minute, K) masks, decided as the live provider decides them.

    The first minute is centred on spot with the VIX-guessed σ√t (a collector started at the open); each
    later minute on `strike_window_centre` of the minute before's window legs, sized by the σ√t of the
    straddle at the listed strike nearest the centre that minute used (`providers.window`).
    """
    masks = {e.expiry: np.zeros((s.minutes, e.strikes.size), dtype=bool) for e in priced}
    centres: dict[date, float] = {}
    seen: dict[date, float] = {}
    for m in range(s.minutes):
        for e in priced:
            centre = centres.get(e.expiry, float(spot[m]))
            window = expiry_window(e.strikes, centre, seen.get(e.expiry), float(s.vix[m]), e.expiry, s.stamps[m],
                                   ix.strikes_below, ix.strikes_above, ix.wings)
            inside = np.isin(e.strikes, window)
            masks[e.expiry][m] = inside
            price = e.price[m]
            atm = int(np.searchsorted(e.strikes, atm_strike(e.strikes, centre)))
            vol = straddle_total_vol(float(price[atm, 0]), float(price[atm, 1]), centre)
            if math.isfinite(vol):
                seen[e.expiry] = vol
            fwd = strike_window_centre(e.strikes[inside], price[inside, 0], price[inside, 1])
            if math.isfinite(fwd):
                centres[e.expiry] = fwd
    return masks


def _tag_columns(e: _Expiry, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Leg columns of the window rows of one expiry (minute-major, then strike, CE before PE)."""
    n = mask.shape[0]
    both = np.broadcast_to(mask[:, :, None], (*mask.shape, 2))
    cols: dict[str, np.ndarray] = {
        "minute": np.broadcast_to(np.arange(n)[:, None, None], both.shape)[both],
        "instrument_token": np.broadcast_to(e.token, both.shape)[both],
        "tradingsymbol": np.broadcast_to(e.symbol, both.shape)[both],
        "strike": np.broadcast_to(e.strikes[None, :, None], both.shape)[both],
        "side": np.broadcast_to(_SIDES[None, None, :], both.shape)[both],
        "lot_size": np.broadcast_to(e.lot, both.shape)[both],
    }
    for fld in QUOTE_COLUMNS:
        cols[fld] = e.quotes[fld][both]
    return cols


def _index_legs(
    spec: IndexSpec, ix: IndexSettings, uni: IndexUniverse, s: _Session, path: DayPath
) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
    """Every stored leg of the index over the session in `LEG_COLUMNS`, ordered by minute and, within a minute,
    as the live provider lists them (tag by tag); the row where each minute starts (plus the end); and each
    minute's full chain (`CHAIN_COLUMNS`, every listed contract of every tag)."""
    st = _state(path, s)
    spot = np.array([round(float(x), 2) for x in np.exp(path.log_spot[: s.minutes])])  # as the index is quoted
    priced = {e: _price_expiry(spec, uni, e, s, st) for e in sorted(set(uni.expiries.values()))}
    masks = _window_masks(ix, s, spot, list(priced.values()))
    blocks = []
    for tag, expiry in uni.expiries.items():
        block = pd.DataFrame(_tag_columns(priced[expiry], masks[expiry]))
        block["expiry"] = expiry
        block["expiry_tag"] = tag
        blocks.append(block)
    legs = pd.concat(blocks, ignore_index=True).sort_values("minute", kind="stable")
    bounds = np.searchsorted(legs["minute"].to_numpy(), np.arange(s.minutes + 1))
    frame = pd.DataFrame({col: legs[col].to_numpy() for col in LEG_COLUMNS})
    for col in ("exchange_timestamp", "last_trade_time"):  # each quote stamped with its minute, as served live
        frame[col] = exchange_times(legs[col].to_numpy())
    frame["stale"] = pd.array(np.zeros(len(frame), dtype=bool), dtype="boolean")
    return frame, bounds, _chains(uni, s, priced)


def _chains(uni: IndexUniverse, s: _Session, priced: Mapping[date, _Expiry]) -> list[pd.DataFrame]:
    """Each minute's full chain as the live provider's `chain_frame` gives it (the simulated market has no
    quote budget, so every expiry's whole chain is quoted)."""
    tags = list(uni.expiries.items())
    width = {e: 2 * p.strikes.size for e, p in priced.items()}
    tag = pd.Series(np.concatenate([np.full(width[e], t, dtype=object) for t, e in tags]), dtype="str")
    strike = np.concatenate([np.repeat(priced[e].strikes, 2) for _, e in tags])
    side = pd.Series(np.concatenate([np.tile(_SIDES.astype(object), width[e] // 2) for _, e in tags]), dtype="str")
    oi = np.concatenate([priced[e].quotes["oi"].reshape(s.minutes, -1) for _, e in tags], axis=1)
    volume = np.concatenate([priced[e].quotes["volume"].reshape(s.minutes, -1) for _, e in tags], axis=1)
    return [chain_table(tag, strike, side, oi[m], volume[m]) for m in range(s.minutes)]


def _snapshots(
    name: str, uni: IndexUniverse, s: _Session, path: DayPath, legs: pd.DataFrame, bounds: np.ndarray,
    chains: list[pd.DataFrame],
) -> list[ChainSnapshot]:
    """One snapshot per session minute from the index's minute-ordered legs and chains (as `_index_legs`)."""
    spot = np.exp(path.log_spot[: s.minutes])
    upto = np.exp(path.log_spot)
    high, low = np.maximum.accumulate(upto)[: s.minutes], np.minimum.accumulate(upto)[: s.minutes]
    snaps = []
    for m in range(s.minutes):
        part = legs.iloc[bounds[m] : bounds[m + 1]].reset_index(drop=True)
        snaps.append(ChainSnapshot(
            index=name, timestamp=s.stamps[m], fetched_at=s.stamps[m], spot=round(float(spot[m]), 2), legs=part,
            expiries=dict(uni.expiries), spot_open=round(float(upto[0]), 2), spot_high=round(float(high[m]), 2),
            spot_low=round(float(low[m]), 2), spot_prev_close=round(path.prev_close, 2), vix=float(s.vix[m]),
            provider="synthetic", chain=chains[m], exchange_timestamp=s.stamps[m], quote_age_seconds=0.0, stale=False,
        ))
    return snaps


def build_day(
    calendar: MarketCalendar, model: DailyModel, instruments: Instruments, indices: Mapping[str, IndexSettings],
    day: date,
) -> dict[str, list[ChainSnapshot]]:
    """Snapshots for every session minute of `day`, with the strike windows and full chains of the live provider."""
    s = _session(calendar, model, day)
    out: dict[str, list[ChainSnapshot]] = {}
    for name, ix in indices.items():
        if name not in SPECS:
            raise ValueError(f"the synthetic market has no index {name!r}")
        spec = SPECS[name]
        path = day_path(model, spec, day, s.minutes, s.start, s.prev_day)
        uni = build_universe(instruments(spec.exchange, day), name, ix.exchange, ix.spot_key, ix.expiry_tags, day)
        out[name] = _snapshots(name, uni, s, path, *_index_legs(spec, ix, uni, s, path))
    return out
