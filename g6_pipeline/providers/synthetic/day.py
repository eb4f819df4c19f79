"""A whole simulated session as one vectorised block: every minute × strike × side priced at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import IST
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot
from g6_pipeline.instruments.universe import build_universe
from g6_pipeline.providers.synthetic.contracts import SPECS
from g6_pipeline.providers.synthetic.paths import day_path, epoch_seconds
from g6_pipeline.providers.synthetic.pricing import DIVIDEND_YIELD, RATE, SECONDS_PER_YEAR, term_atm
from g6_pipeline.settings.model import IndexSettings

if TYPE_CHECKING:
    from g6_pipeline.providers.synthetic.market import SyntheticMarket

QUOTE_FIELDS = ("last_price", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "average_price", "prev_close")


def build_day(market: SyntheticMarket, indices: Mapping[str, IndexSettings], day: date) -> dict[str, list[ChainSnapshot]]:
    """Snapshots for every session minute of `day`, strike windows centred on each minute's forward."""
    from g6_pipeline.providers.synthetic.market import EXPIRY_CLOSE, option_fields

    cal = market.calendar
    session = cal.session(day)
    if session is None:
        raise ValueError(f"{day} is not a trading day")
    prev_day = cal.previous_trading_day(day)
    prev_session = cal.session(prev_day)
    assert prev_session is not None
    n = int((session.end - session.start).total_seconds() // 60)
    start = epoch_seconds(session.start)
    epochs = start + 60 * np.arange(n)
    stamps = [session.start + timedelta(minutes=i) for i in range(n)]
    nifty = day_path(market.model, SPECS["NIFTY"], day, n, start, prev_day)
    vix = np.round(100.0 * term_atm(nifty.vol[:n], SPECS["NIFTY"].base_vol, np.full(n, 30 / 365)), 2)
    out: dict[str, list[ChainSnapshot]] = {}
    for name, ix in indices.items():
        if name not in SPECS:
            raise ValueError(f"the synthetic market has no index {name!r}")
        spec = SPECS[name]
        path = day_path(market.model, spec, day, n, start, prev_day)
        spot = np.exp(path.log_spot[:n])
        upto = np.exp(path.log_spot)
        high, low = np.maximum.accumulate(upto)[:n], np.minimum.accumulate(upto)[:n]
        st = {
            "spot": spot[:, None, None], "vol": path.vol[:n, None, None], "epoch": epochs[:, None, None],
            "open": np.array(float(np.exp(path.log_spot[0]))), "open_vol": np.array(float(path.vol[0])),
            "open_epoch": np.array(start), "prev_close": np.array(path.prev_close),
            "prev_vol": np.array(path.prev_vol), "prev_close_epoch": np.array(epoch_seconds(prev_session.end)),
            "progress": (np.arange(n) / n)[:, None, None], "minute": np.arange(n)[:, None, None],
        }
        uni = build_universe(market.instruments(spec.exchange, day), name, ix.exchange, ix.spot_key,
                             ix.expiry_tags, day)
        blocks = []
        offsets = np.arange(-ix.strikes_below, ix.strikes_above + 1)
        for expiry in sorted(set(uni.expiries.values())):
            tags = [t for t, e in uni.expiries.items() if e == expiry]
            ks = uni.strikes[expiry]
            c = uni.contracts.loc[uni.contracts["expiry"] == expiry].sort_values(["strike", "side"])
            if len(c) != 2 * len(ks) or not (c["side"].to_numpy()[::2] == "CE").all():
                raise ValueError(f"{name} {expiry}: the synthetic dump lacks a CE/PE pair at some strike")
            exp_epoch = epoch_seconds(datetime.combine(expiry, EXPIRY_CLOSE, IST))
            t = np.maximum(exp_epoch - epochs, 60) / SECONDS_PER_YEAR
            fwd = spot * np.exp((RATE - DIVIDEND_YIELD) * t)
            atm = np.argmin(np.abs(ks[None, :] - fwd[:, None]), axis=1)
            idx = atm[:, None] + offsets[None, :]
            valid = (idx >= 0) & (idx < len(ks))
            kidx = np.clip(idx, 0, len(ks) - 1)
            sides = np.array(["CE", "PE"])
            tok = c["instrument_token"].to_numpy(np.int64).reshape(-1, 2)
            sym = c["tradingsymbol"].to_numpy(object).reshape(-1, 2)
            lot = c["lot_size"].to_numpy(np.int64).reshape(-1, 2)
            f = option_fields(spec, st, tok[kidx], ks[kidx][:, :, None], np.array([True, False])[None, None, :],
                              np.array(exp_epoch), lot[kidx].astype(np.float64), day.toordinal())
            mask = np.broadcast_to(valid[:, :, None], (n, len(offsets), 2))
            minute = np.broadcast_to(np.arange(n)[:, None, None], mask.shape)[mask]
            cols: dict[str, np.ndarray] = {
                "minute": minute,
                "instrument_token": tok[kidx][mask],
                "tradingsymbol": sym[kidx][mask],
                "strike": np.broadcast_to(ks[kidx][:, :, None], mask.shape)[mask],
                "side": np.broadcast_to(sides[None, None, :], mask.shape)[mask],
                "lot_size": lot[kidx][mask],
            }
            for fld in QUOTE_FIELDS:
                cols[fld] = np.broadcast_to(f[fld], mask.shape)[mask].astype(np.float64)
            for tag in tags:
                block = pd.DataFrame(cols)
                block["expiry"] = expiry
                block["expiry_tag"] = tag
                blocks.append(block)
        legs = pd.concat(blocks, ignore_index=True).sort_values("minute", kind="stable")
        bounds = np.searchsorted(legs["minute"].to_numpy(), np.arange(n + 1))
        legs = pd.DataFrame({col: legs[col].to_numpy() for col in LEG_COLUMNS})
        snaps = []
        for m in range(n):
            part = legs.iloc[bounds[m] : bounds[m + 1]].reset_index(drop=True)
            snaps.append(ChainSnapshot(
                index=name, timestamp=stamps[m], fetched_at=stamps[m], spot=round(float(spot[m]), 2), legs=part,
                expiries=dict(uni.expiries), spot_open=round(float(upto[0]), 2), spot_high=round(float(high[m]), 2),
                spot_low=round(float(low[m]), 2), spot_prev_close=round(path.prev_close, 2), vix=float(vix[m]),
                provider="synthetic",
            ))
        out[name] = snaps
    return out
