"""`SyntheticMarket`: a seeded simulated NSE/BSE option market (the indices and every F&O stock) that speaks
Kite's formats.

`instruments_csv` gives Kite's instrument dump, `quote` Kite's `/quote` items, so the loopback Kite server
and the `synthetic` provider both go through the same parsing path as the real API. `day_snapshots` builds a
whole past session as one vectorised block with the same pricing function, so the same seed and minute give
the same prices either way.

During an exchange session a quote is the session minute's state. Outside it a demo session runs from the
first minute asked for (`session`): the index walks a bridge from the last close to the next open and the
next session's contracts trade, volume accumulating from the demo's open; after the demo (or after an
exchange session the market served) its closing values stand. Option `average_price` is the mean of the
day's open and current price, and the option `ohlc.high`/`low` span only those two: simple stand-ins the
simulation does not track minute by minute.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar, floor_minute
from g6_pipeline.core.clock import EXPIRY_TIME, IST
from g6_pipeline.core.snapshot import ChainSnapshot
from g6_pipeline.instruments.cache import dump_day
from g6_pipeline.instruments.dump import dump_to_csv
from g6_pipeline.providers.quotes import QUOTE_COLUMNS, VIX_KEY
from g6_pipeline.providers.synthetic.contracts import VIX_TOKEN, derivative_rows, spot_rows
from g6_pipeline.providers.synthetic.day import build_day
from g6_pipeline.providers.synthetic.fields import option_fields
from g6_pipeline.providers.synthetic.items import index_item, option_columns, option_items
from g6_pipeline.providers.synthetic.paths import DailyModel, day_path, epoch_seconds, night_path
from g6_pipeline.providers.synthetic.pricing import vix_level
from g6_pipeline.providers.synthetic.session import plan_minute
from g6_pipeline.providers.synthetic.specs import REFERENCE_DATE, SPECS, IndexSpec
from g6_pipeline.settings.model import IndexSettings

SPOT_SPECS: dict[str, IndexSpec] = {s.spot_key: s for s in SPECS.values()}
"""Quote key of an underlying's own price → its spec."""


@dataclass(frozen=True)
class _State:
    """An index at one instant: spot, vol, and the session whose volume/OI apply."""

    spot: float
    vol: float
    day: date
    progress: float
    """Share of the session elapsed (1.0 after the close)."""
    traded: float
    """Share elapsed at the end of the minute (what the reported volume covers)."""
    minute: int
    open_: float
    high: float
    low: float
    prev_close: float
    prev_vol: float
    open_vol: float
    open_epoch: int
    prev_close_epoch: int
    session_minutes: int
    """Length of the session (a demo session lasts as long as the exchange's last one)."""


@dataclass(frozen=True)
class _OptionBook:
    """A day's listed options as arrays, row `i` being quote key `keys[i]`."""

    rows: dict[str, int]
    keys: np.ndarray
    specs: tuple[IndexSpec, ...]
    spec: np.ndarray
    """Position in `specs` of each option's index."""
    token: np.ndarray
    strike: np.ndarray
    is_call: np.ndarray
    expiry_epoch: np.ndarray
    lot: np.ndarray


class SyntheticMarket:
    """A seeded simulated market over the calendar's trading days."""

    def __init__(
        self, seed: int, calendar: MarketCalendar, levels: Mapping[str, float] | None = None,
        anchor: date | None = None,
    ) -> None:
        """`levels` override the specs' reference levels, `anchor` the day they hold (`REFERENCE_DATE`)."""
        self.seed = seed
        self.calendar = calendar
        self.model = DailyModel(seed, levels, anchor or REFERENCE_DATE)
        self._states: dict[tuple[str, datetime], _State] = {}
        self.session_open: datetime | None = None
        """The open of the session last served, the exchange's or a demo's (`session`)."""

    # --- instruments -------------------------------------------------------------------------------

    def reference_level(self, spec: IndexSpec, day: date) -> float:
        """The level the day's strikes are listed around: the previous session's close."""
        prev = self.calendar.previous_trading_day(day)
        return self.model.close(spec.name, prev)

    @lru_cache(maxsize=16)  # noqa: B019 - the market lives as long as the process
    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The parsed dump of `exchange` (NFO, BFO, NSE or BSE) as listed on `day`."""
        if exchange in ("NSE", "BSE"):
            return spot_rows(exchange)
        specs = [spec for spec in SPECS.values() if spec.exchange == exchange]
        if not specs:
            raise ValueError(f"unknown exchange {exchange!r}")
        return derivative_rows(specs, day, self.calendar, [self.reference_level(spec, day) for spec in specs])

    @lru_cache(maxsize=16)  # noqa: B019 - the market lives as long as the process
    def instruments_csv(self, exchange: str, day: date) -> bytes:
        """Kite's instrument dump CSV for `exchange` on `day`, in Kite's exact columns."""
        return dump_to_csv(self.instruments(exchange, day))

    @lru_cache(maxsize=4)  # noqa: B019
    def _catalog(self, day: date) -> pd.DataFrame:
        frames = [self.instruments(x, day) for x in ("NFO", "BFO")]
        cat = pd.concat(frames, ignore_index=True)
        cat = cat.loc[cat["instrument_type"].isin(["CE", "PE"])].copy()
        cat.index = cat["exchange"] + ":" + cat["tradingsymbol"]
        return cat

    # --- state ---------------------------------------------------------------------------------------

    def _state(self, spec: IndexSpec, ts: datetime) -> _State:
        local = floor_minute(ts)
        plan = plan_minute(self.calendar, self.session_open, local)
        self.session_open = plan.opened
        if plan.kind == "exchange":
            assert plan.opened is not None
            return self._exchange_state(spec, plan.opened.date(), int((local - plan.opened).total_seconds() // 60))
        last = self.calendar.last_close(local)
        st = self._exchange_state(spec, last.date(), None)
        if plan.kind == "shut" or plan.opened is None:
            return st
        return self._demo_state(spec, st, last, plan.opened, local)

    def _exchange_state(self, spec: IndexSpec, day: date, minute: int | None) -> _State:
        """Minute `minute` of the exchange session of `day` (None: after its close, at its closing values)."""
        s = self.calendar.session(day)
        assert s is not None
        prev_day = self.calendar.previous_trading_day(day)
        prev_session = self.calendar.session(prev_day)
        assert prev_session is not None
        n = int((s.end - s.start).total_seconds() // 60)
        path = day_path(self.model, spec, day, n, epoch_seconds(s.start), prev_day)
        at = n if minute is None else minute
        upto = path.log_spot[: at + 1]
        return _State(
            spot=float(np.exp(path.log_spot[at])), vol=float(path.vol[at]), day=day, progress=at / n,
            traded=min(at + 1, n) / n, minute=at, open_=math.exp(path.log_spot[0]), high=math.exp(upto.max()),
            low=math.exp(upto.min()), prev_close=path.prev_close, prev_vol=path.prev_vol, open_vol=float(path.vol[0]),
            open_epoch=path.start_epoch, prev_close_epoch=epoch_seconds(prev_session.end), session_minutes=n,
        )

    def _demo_state(self, spec: IndexSpec, shut: _State, last_close: datetime, opened: datetime,
                    local: datetime) -> _State:  # fmt: skip
        """The demo session opened at `opened` (`session`), after the exchange session `shut` closed at
        `last_close`: the index walks its bridge to the next open, trades the next session's contracts."""
        nxt = self.calendar.next_open(local)
        n = shut.session_minutes
        gap = int((nxt - last_close).total_seconds() // 60)
        bridge = night_path(self.model, spec, shut.day, nxt.date(), gap)
        first = int((opened - last_close).total_seconds() // 60)
        minute = min(int((local - opened).total_seconds() // 60), n)
        walked = bridge[first : first + minute + 1]
        return _State(
            spot=math.exp(walked[-1]), vol=shut.vol, day=nxt.date(), progress=minute / n,
            traded=min(minute + 1, n) / n, minute=minute, open_=math.exp(walked[0]), high=math.exp(walked.max()),
            low=math.exp(walked.min()), prev_close=shut.spot, prev_vol=shut.vol, open_vol=shut.vol,
            open_epoch=epoch_seconds(opened), prev_close_epoch=epoch_seconds(last_close), session_minutes=n,
        )

    def session_state(self) -> dict[str, Any]:
        """What a collector keeps between minute runs: the open of the session last served (`session`)."""
        return {"session_open": self.session_open.isoformat() if self.session_open is not None else None}

    def restore_session_state(self, state: Mapping[str, Any]) -> None:
        """Start from a kept `session_state` (an unreadable one is ignored: the next minute opens a demo)."""
        try:
            opened = datetime.fromisoformat(str(state["session_open"]))
        except (KeyError, TypeError, ValueError):
            return
        if opened.tzinfo is not None:
            self.session_open = opened.astimezone(IST)

    @staticmethod
    def _arrays(st: _State, epoch: int) -> dict[str, np.ndarray]:
        return {
            "spot": np.array(st.spot), "vol": np.array(st.vol), "epoch": np.array(epoch),
            "open": np.array(st.open_), "open_vol": np.array(st.open_vol), "open_epoch": np.array(st.open_epoch),
            "prev_close": np.array(st.prev_close), "prev_vol": np.array(st.prev_vol),
            "prev_close_epoch": np.array(st.prev_close_epoch), "progress": np.array(st.progress),
            "traded": np.array(st.traded), "minute": np.array(st.minute),
        }

    # --- quotes --------------------------------------------------------------------------------------

    @lru_cache(maxsize=4)  # noqa: B019
    def _book(self, day: date) -> _OptionBook:
        cat = self._catalog(day)
        epochs = {e: epoch_seconds(datetime.combine(e, EXPIRY_TIME, IST)) for e in cat["expiry"].unique()}
        names = cat["name"].astype(str).to_numpy(object)
        specs = sorted(set(names))
        keys = [str(k) for k in cat.index]
        return _OptionBook(
            rows={k: i for i, k in enumerate(keys)}, keys=np.array(keys, dtype=object),
            specs=tuple(SPECS[n] for n in specs), spec=np.searchsorted(np.array(specs, dtype=object), names),
            token=cat["instrument_token"].to_numpy(np.int64), strike=cat["strike"].to_numpy(np.float64),
            is_call=(cat["instrument_type"] == "CE").to_numpy(bool),
            expiry_epoch=np.array([epochs[e] for e in cat["expiry"]], dtype=np.int64),
            lot=cat["lot_size"].to_numpy(np.float64),
        )

    def _state_at(self, spec: IndexSpec, ts: datetime) -> _State:
        """`_state` of the minute `ts`, kept for the latest minute asked (each batch of a fetch reuses it)."""
        key = (spec.name, ts)
        st = self._states.get(key)
        if st is None:
            st = self._state(spec, ts)
            kept = {k: v for k, v in self._states.items() if k[1] == ts}
            kept[key] = st
            self._states = kept
        return st

    def _option_blocks(self, keys: Sequence[str], ts: datetime) -> Iterator[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
        """Per index among `keys`: the listed option keys, their tokens and their `option_fields`."""
        book = self._book(dump_day(ts))
        found = np.fromiter(dict.fromkeys(book.rows[k] for k in keys if k in book.rows), dtype=np.int64)
        codes = book.spec[found]
        for code in np.unique(codes):
            rows = found[codes == code]
            spec = book.specs[int(code)]
            st = self._state_at(spec, ts)
            f = option_fields(
                spec, self._arrays(st, epoch_seconds(ts)), book.token[rows], book.strike[rows], book.is_call[rows],
                book.expiry_epoch[rows], book.lot[rows], st.day.toordinal(),
            )
            yield book.keys[rows], book.token[rows], f

    def quote(self, keys: Sequence[str], at: datetime) -> dict[str, dict[str, Any]]:
        """Kite `/quote` items for the known keys at `at` (unknown keys are absent, as with Kite)."""
        ts = floor_minute(at)
        stamp = ts.strftime("%Y-%m-%d %H:%M:%S")
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            if key in SPOT_SPECS:
                st = self._state_at(SPOT_SPECS[key], ts)
                ohlc = (st.open_, st.high, st.low, st.prev_close)
                out[key] = index_item(SPOT_SPECS[key].spot_token, st.spot, stamp, ohlc)
            elif key == VIX_KEY:
                st = self._state_at(SPECS["NIFTY"], ts)
                out[key] = index_item(VIX_TOKEN, vix_level(st.vol, SPECS["NIFTY"].base_vol), stamp)
        for names, tokens, f in self._option_blocks(keys, ts):
            out.update(option_items(names.tolist(), tokens, f, stamp))
        return out

    def option_quote_columns(self, keys: Sequence[str], at: datetime) -> tuple[list[str], dict[str, np.ndarray]]:
        """The listed options among `keys` and, as columns, the leg fields `parse_quote` reads from `quote`.

        The same prices as `quote` without building Kite items: other keys (indices, unknown) are left out.
        """
        ts = floor_minute(at)
        names: list[str] = []
        parts: list[dict[str, np.ndarray]] = []
        for block_keys, _, f in self._option_blocks(keys, ts):
            names.extend(block_keys.tolist())
            parts.append(option_columns(f, ts.timestamp()))
        empty = np.empty(0, dtype=np.float64)
        return names, {n: np.concatenate([p[n] for p in parts]) if parts else empty for n in QUOTE_COLUMNS}

    # --- whole days ----------------------------------------------------------------------------------

    def day_snapshots(self, indices: Mapping[str, IndexSettings], day: date) -> dict[str, list[ChainSnapshot]]:
        """Every session minute of `day` for each index, as snapshots, built in one vectorised block."""
        return build_day(self.calendar, self.model, self.instruments, indices, day)
