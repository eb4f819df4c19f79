"""The provider every data source shares: universe → spot quotes → strike windows → option quotes → snapshots.

A `QuoteSource` only downloads dumps and answers Kite-format `/quote` calls; this module does the rest the
same way for the kite, synthetic and mock sources. The strike window of each expiry is centred on the
previous minute's synthetic forward (K + C − P where |C − P| is smallest) or, before there is one, on spot.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from g6_pipeline.instruments import (
    DumpError,
    IndexUniverse,
    InstrumentCache,
    UniverseError,
    build_universe,
    dump_day,
    synthetic_forward,
)
from g6_pipeline.market_calendar import IST, floor_minute
from g6_pipeline.providers.base import CircuitOpenError, FetchResult, ProviderError, TokenExpiredError
from g6_pipeline.report import ProviderStats
from g6_pipeline.settings.model import IndexSettings
from g6_pipeline.snapshot import LEG_COLUMNS, ChainSnapshot

log = logging.getLogger(__name__)
VIX_KEY = "NSE:INDIA VIX"
QUOTE_FIELDS = ("last_price", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "average_price", "prev_close")


class QuoteSource(Protocol):
    """Where dumps and quotes come from."""

    max_batch: int

    def begin(self, stats: ProviderStats) -> None:
        """Start a fetch: check credentials and breaker, record into `stats`."""
        ...

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The typed instrument dump of `exchange` for `day`."""
        ...

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        """Kite `/quote` items for at most `max_batch` keys."""
        ...


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def parse_quote(item: Mapping[str, Any]) -> dict[str, float]:
    """The leg fields of one Kite quote item; anything absent or empty is NaN, never 0."""
    depth = item.get("depth") or {}

    def best(side: str) -> tuple[float, float]:
        levels = depth.get(side) or []
        if not levels:
            return math.nan, math.nan
        price, qty = _num(levels[0].get("price")), _num(levels[0].get("quantity"))
        return (price, qty) if price > 0 and qty > 0 else (math.nan, math.nan)

    bid, bid_qty = best("buy")
    ask, ask_qty = best("sell")
    last = _num(item.get("last_price"))
    ohlc = item.get("ohlc") or {}
    return {
        "last_price": last if last > 0 else math.nan,
        "bid": bid,
        "ask": ask,
        "bid_qty": bid_qty,
        "ask_qty": ask_qty,
        "volume": _num(item.get("volume")),
        "oi": _num(item.get("oi")),
        "average_price": _num(item.get("average_price")),
        "prev_close": _num(ohlc.get("close")),
    }


class ChainProvider:
    """A `Provider` over a `QuoteSource`."""

    def __init__(
        self,
        name: str,
        source: QuoteSource,
        cache: InstrumentCache | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(IST),
    ) -> None:
        self.name = name
        self.source = source
        self.cache = cache
        self.stats = ProviderStats()
        self._clock = clock
        self._dumps: dict[tuple[str, date], pd.DataFrame] = {}
        self._forwards: dict[tuple[str, date], float] = {}

    def _dump(self, exchange: str, day: date) -> pd.DataFrame:
        key = (exchange, day)
        if key not in self._dumps:
            if self.cache is not None:
                frame, _ = self.cache.get(exchange, day, lambda: self.source.instruments(exchange, day))
            else:
                frame = self.source.instruments(exchange, day)
            self._dumps = {k: v for k, v in self._dumps.items() if k[1] == day}
            self._dumps[key] = frame
        return self._dumps[key]

    def _quote_all(self, keys: Sequence[str], now: datetime) -> tuple[dict[str, Mapping[str, Any]], dict[str, str]]:
        """Quotes in batches of `max_batch`; keys of a failed batch map to the failure's reason."""
        quotes: dict[str, Mapping[str, Any]] = {}
        failed: dict[str, str] = {}
        step = self.source.max_batch
        for i in range(0, len(keys), step):
            batch = list(keys[i : i + step])
            try:
                quotes.update(self.source.quote(batch, now))
            except (TokenExpiredError, CircuitOpenError):
                raise
            except ProviderError as exc:
                failed.update(dict.fromkeys(batch, str(exc)))
        return quotes, failed

    def fetch(self, indices: Mapping[str, IndexSettings], now: datetime) -> FetchResult:
        """Collect every index for the minute of `now`; see `Provider.fetch`."""
        self.stats = ProviderStats()
        self.source.begin(self.stats)
        minute = floor_minute(now)
        result = FetchResult()
        universes: dict[str, IndexUniverse] = {}
        for name, ix in indices.items():
            try:
                dump = self._dump(ix.exchange, dump_day(minute))
                universes[name] = build_universe(dump, name, ix.exchange, ix.spot_key, ix.expiry_tags, minute.date())
            except (UniverseError, DumpError) as exc:
                result.failures[name] = str(exc)
            except ProviderError as exc:
                if isinstance(exc, TokenExpiredError | CircuitOpenError):
                    raise
                result.failures[name] = f"instrument dump unavailable: {exc}"
        spot_keys = sorted({u.spot_key for u in universes.values()} | {VIX_KEY})
        spots, spot_failed = self._quote_all(spot_keys, minute)
        legs_by_index: dict[str, pd.DataFrame] = {}
        for name, uni in universes.items():
            item = spots.get(uni.spot_key)
            spot = _num(item.get("last_price")) if item else math.nan
            if not spot > 0:
                reason = spot_failed.get(uni.spot_key, "not in the quote response")
                result.failures[name] = f"index price {uni.spot_key} not quoted: {reason}"
                continue
            centers = {e: self._forwards.get((name, e), spot) for e in set(uni.expiries.values())}
            ix = indices[name]
            legs_by_index[name] = uni.legs(centers, ix.strikes_below, ix.strikes_above)
        keys = sorted({f"{universes[n].exchange}:{s}" for n, lg in legs_by_index.items() for s in lg["tradingsymbol"]})
        quotes, failed = self._quote_all(keys, minute)
        fetched_at = self._clock()
        vix_item = spots.get(VIX_KEY)
        vix = _num(vix_item.get("last_price")) if vix_item else math.nan
        for name, legs in legs_by_index.items():
            uni = universes[name]
            full_keys = uni.exchange + ":" + legs["tradingsymbol"]
            reasons = sorted({failed[k] for k in full_keys if k in failed})
            if reasons:
                result.failures[name] = f"option quotes failed: {reasons[0]}"
                continue
            result.snapshots[name] = self._snapshot(name, uni, legs, full_keys, quotes, spots, minute, fetched_at, vix)
        return result

    def _snapshot(
        self,
        name: str,
        uni: IndexUniverse,
        legs: pd.DataFrame,
        full_keys: pd.Series,
        quotes: Mapping[str, Mapping[str, Any]],
        spots: Mapping[str, Mapping[str, Any]],
        minute: datetime,
        fetched_at: datetime,
        vix: float,
    ) -> ChainSnapshot:
        present = full_keys.isin(list(quotes)).to_numpy()
        missing = tuple(sorted(set(legs.loc[~present, "tradingsymbol"])))
        got = legs.loc[present].reset_index(drop=True)
        parsed = [parse_quote(quotes[k]) for k in full_keys[present]]
        for fld in QUOTE_FIELDS:
            got[fld] = np.array([p[fld] for p in parsed], dtype="float64")
        got["instrument_token"] = got["instrument_token"].astype("int64")
        got["lot_size"] = got["lot_size"].astype("int64")
        got["strike"] = got["strike"].astype("float64")
        got = got.loc[:, list(LEG_COLUMNS)]
        for expiry in set(uni.expiries.values()):
            part = got.loc[got["expiry"] == expiry].drop_duplicates(["strike", "side"])
            mids = (part["bid"] + part["ask"]) / 2
            price = mids.where(mids.notna(), part["last_price"])
            ce = price[part["side"] == "CE"].set_axis(part.loc[part["side"] == "CE", "strike"])
            pe = price[part["side"] == "PE"].set_axis(part.loc[part["side"] == "PE", "strike"])
            both = pd.concat([ce.rename("c"), pe.rename("p")], axis=1).dropna()
            fwd = synthetic_forward(both.index.to_numpy(), both["c"].to_numpy(), both["p"].to_numpy())
            if math.isfinite(fwd):
                self._forwards[(name, expiry)] = fwd
        spot_item = spots[uni.spot_key]
        ohlc = spot_item.get("ohlc") or {}
        return ChainSnapshot(
            index=name,
            timestamp=minute,
            fetched_at=fetched_at,
            spot=_num(spot_item.get("last_price")),
            legs=got,
            expiries=dict(uni.expiries),
            missing=missing,
            spot_open=_num(ohlc.get("open")),
            spot_high=_num(ohlc.get("high")),
            spot_low=_num(ohlc.get("low")),
            spot_prev_close=_num(ohlc.get("close")),
            vix=vix,
            provider=self.name,
        )
