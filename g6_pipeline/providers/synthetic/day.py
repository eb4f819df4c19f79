"""A whole simulated session as one vectorised block: every minute × strike × side priced at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import EXPIRY_TIME, IST
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot
from g6_pipeline.instruments.universe import IndexUniverse, build_universe
from g6_pipeline.providers.quotes import QUOTE_FIELDS
from g6_pipeline.providers.synthetic.contracts import SPECS, IndexSpec
from g6_pipeline.providers.synthetic.fields import option_fields
from g6_pipeline.providers.synthetic.paths import DailyModel, DayPath, day_path, epoch_seconds
from g6_pipeline.providers.synthetic.pricing import DIVIDEND_YIELD, RATE, SECONDS_PER_YEAR, term_atm
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
        vix=np.round(100.0 * term_atm(nifty.vol[:n], SPECS["NIFTY"].base_vol, np.full(n, 30 / 365)), 2),
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


def _expiry_columns(
    spec: IndexSpec, ix: IndexSettings, uni: IndexUniverse, expiry: date, s: _Session,
    st: Mapping[str, np.ndarray], spot: np.ndarray,
) -> dict[str, np.ndarray]:
    """Leg columns of one expiry over the session: each minute's window centred on that minute's forward."""
    n = s.minutes
    ks = uni.strikes[expiry]
    c = uni.contracts.loc[uni.contracts["expiry"] == expiry].sort_values(["strike", "side"])
    if len(c) != 2 * len(ks) or not (c["side"].to_numpy()[::2] == "CE").all():
        raise ValueError(f"{spec.name} {expiry}: the synthetic dump lacks a CE/PE pair at some strike")
    exp_epoch = epoch_seconds(datetime.combine(expiry, EXPIRY_TIME, IST))
    t = np.maximum(exp_epoch - s.epochs, 60) / SECONDS_PER_YEAR
    fwd = spot * np.exp((RATE - DIVIDEND_YIELD) * t)
    offsets = np.arange(-ix.strikes_below, ix.strikes_above + 1)
    idx = np.argmin(np.abs(ks[None, :] - fwd[:, None]), axis=1)[:, None] + offsets[None, :]
    kidx = np.clip(idx, 0, len(ks) - 1)
    tok = c["instrument_token"].to_numpy(np.int64).reshape(-1, 2)
    sym = c["tradingsymbol"].to_numpy(object).reshape(-1, 2)
    lot = c["lot_size"].to_numpy(np.int64).reshape(-1, 2)
    f = option_fields(spec, st, tok[kidx], ks[kidx][:, :, None], _IS_CALL[None, None, :], np.array(exp_epoch),
                      lot[kidx].astype(np.float64), s.day.toordinal())
    mask = np.broadcast_to(((idx >= 0) & (idx < len(ks)))[:, :, None], (n, len(offsets), 2))
    cols: dict[str, np.ndarray] = {
        "minute": np.broadcast_to(np.arange(n)[:, None, None], mask.shape)[mask],
        "instrument_token": tok[kidx][mask],
        "tradingsymbol": sym[kidx][mask],
        "strike": np.broadcast_to(ks[kidx][:, :, None], mask.shape)[mask],
        "side": np.broadcast_to(_SIDES[None, None, :], mask.shape)[mask],
        "lot_size": lot[kidx][mask],
    }
    for fld in QUOTE_FIELDS:
        cols[fld] = np.broadcast_to(f[fld], mask.shape)[mask].astype(np.float64)
    return cols


def _index_legs(
    spec: IndexSpec, ix: IndexSettings, uni: IndexUniverse, s: _Session, path: DayPath
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every leg of the index over the session in `LEG_COLUMNS`, ordered by minute (an expiry once per tag),
    and the row where each minute starts (plus the end)."""
    st = _state(path, s)
    spot = np.exp(path.log_spot[: s.minutes])
    blocks = []
    for expiry in sorted(set(uni.expiries.values())):
        cols = _expiry_columns(spec, ix, uni, expiry, s, st, spot)
        for tag in [t for t, e in uni.expiries.items() if e == expiry]:
            block = pd.DataFrame(cols)
            block["expiry"] = expiry
            block["expiry_tag"] = tag
            blocks.append(block)
    legs = pd.concat(blocks, ignore_index=True).sort_values("minute", kind="stable")
    bounds = np.searchsorted(legs["minute"].to_numpy(), np.arange(s.minutes + 1))
    return pd.DataFrame({col: legs[col].to_numpy() for col in LEG_COLUMNS}), bounds


def _snapshots(
    name: str, uni: IndexUniverse, s: _Session, path: DayPath, legs: pd.DataFrame, bounds: np.ndarray
) -> list[ChainSnapshot]:
    """One snapshot per session minute from the index's minute-ordered legs (`bounds` as `_index_legs`)."""
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
            provider="synthetic",
        ))
    return snaps


def build_day(
    calendar: MarketCalendar, model: DailyModel, instruments: Instruments, indices: Mapping[str, IndexSettings],
    day: date,
) -> dict[str, list[ChainSnapshot]]:
    """Snapshots for every session minute of `day`, strike windows centred on each minute's forward."""
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
