"""The provider every data source shares: universe → spot quotes → strike windows → option quotes → snapshots.

A `QuoteSource` only downloads dumps and answers Kite-format `/quote` calls; this module does the rest the
same way for the kite, synthetic and mock sources. The strike window of each expiry is centred on the
previous minute's `strike_window_centre` (K + C − P where |C − P| is smallest) or, before there is one, on
spot, and reaches at least the configured strikes on each side and out to the expiry's 25-delta wings
(`providers.window`, which a backfilled day follows too). Within the per-minute call budget the rest of each expiry's listed chain is quoted too,
for the full-chain PCR and max pain (`ChainSnapshot.chain`); `chain_plan` says which calls a minute makes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.core import freshness
from g6_pipeline.core.calendar import floor_minute
from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import ProviderStats
from g6_pipeline.core.snapshot import ChainSnapshot
from g6_pipeline.instruments import (
    DumpError,
    IndexUniverse,
    InstrumentCache,
    UniverseError,
    build_universe,
    dump_day,
    options_by_name,
    tag_day,
)
from g6_pipeline.instruments.cache import DUMP_REFRESH
from g6_pipeline.providers.base import (
    CircuitOpenError,
    FetchResult,
    KeepsState,
    ProviderError,
    QuoteSource,
    TokenExpiredError,
)
from g6_pipeline.providers.batches import Batched, in_batches
from g6_pipeline.providers.chain_legs import expiry_centres, quoted_legs
from g6_pipeline.providers.chain_plan import (
    QUOTE_SECONDS_PER_MINUTE,
    ExpiryChain,
    budget_calls,
    chain_frame,
    choose_full_chains,
    unasked,
    window_keys,
)
from g6_pipeline.providers.quotes import (
    QUOTE_FIELDS,
    VIX_KEY,
    QuoteTable,
    TableQuoteSource,
    exchange_seconds,
    parse_quote,
)
from g6_pipeline.providers.window import expiry_window, quoted_total_vol
from g6_pipeline.settings.model import DEFAULT_STALE_SECONDS, IndexSettings
from g6_pipeline.util.numeric import finite_float

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _FullChains:
    """Every quote of the minute, per underlying the expiries whose whole chain was quoted, the keys whose
    batch failed (with the reason), and the calls the full chains took."""

    table: QuoteTable
    expiries: dict[str, list[date]]
    failed: dict[str, str]
    calls: int


__all__ = ["QUOTE_FIELDS", "ChainProvider", "QuoteSource", "QuoteTable", "parse_quote"]


class ChainProvider:
    """A `Provider` over a `QuoteSource`.

    A source that also implements `TableQuoteSource` has its option quotes taken as a `QuoteTable` (the
    same values, without Kite item dicts); index quotes always go through `quote`. The exchange's times of
    the quotes decide freshness (`core.freshness`): a quote older than `stale_after` seconds at the instant
    the minute is fetched for is stale, and a minute whose quotes all carry an earlier session's time is
    reported as the exchange being closed, with no snapshot.
    """

    def __init__(
        self,
        name: str,
        source: QuoteSource,
        cache: InstrumentCache | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(IST),
        quote_seconds: float = QUOTE_SECONDS_PER_MINUTE,
        stale_after: float = DEFAULT_STALE_SECONDS,
        dump_refresh: timedelta = DUMP_REFRESH,
        deadline_seconds: float | None = None,
    ) -> None:
        self.name = name
        self.deadline_seconds = deadline_seconds
        """No quote call of a minute starts this many seconds after it or later (a rate-limited source only;
        None: no deadline)."""
        self.stale_after = stale_after
        self.quote_seconds = quote_seconds
        self.source = source
        self.cache = cache
        self.stats = ProviderStats()
        self._clock = clock
        self.dump_refresh = dump_refresh
        self._dumps: dict[tuple[str, date], tuple[pd.DataFrame, datetime]] = {}
        """By (exchange, day): the dump and the minute it was read."""
        self._centres: dict[tuple[str, date], float] = {}
        self._total_vols: dict[tuple[str, date], float] = {}
        self._universes: dict[tuple[str, date, str, str, tuple[str, ...], date], IndexUniverse] = {}
        self._options: dict[tuple[str, date], dict[str, pd.DataFrame]] = {}
        """Each dump's options by underlying (`options_by_name`), split once per dump."""

    def _dump(self, exchange: str, day: date, minute: datetime) -> pd.DataFrame:
        """The dump of `exchange` for `day`, read again once it is `dump_refresh` old at `minute` (a contract listed
        during the session is collected from then on); when reading it again fails, the one held is kept."""
        key = (exchange, day)
        held = self._dumps.get(key)
        if held is not None and minute - held[1] < self.dump_refresh:
            return held[0]
        try:
            if self.cache is not None:
                frame, _ = self.cache.get(exchange, day, lambda: self.source.instruments(exchange, day),
                                          now=minute, max_age=self.dump_refresh)
            else:
                frame = self.source.instruments(exchange, day)
        except Exception as exc:
            if held is None:
                raise
            log.warning("%s instrument dump of %s not read again (%s); the one held is used", exchange, day, exc)
            frame = held[0]
        self._dumps = {k: v for k, v in self._dumps.items() if k[1] == day}
        self._dumps[key] = (frame, minute)
        listed = held is None or not frame.equals(held[0])  # a new listing: the universes are built again
        self._universes = {k: v for k, v in self._universes.items()
                           if (k[0], k[1]) in self._dumps and not (listed and (k[0], k[1]) == key)}
        self._options = {k: v for k, v in self._options.items() if k in self._dumps and not (listed and k == key)}
        return frame

    def _universe(self, name: str, ix: IndexSettings, minute: datetime) -> IndexUniverse:
        """`build_universe` of the index, reused while the dump, the index settings and the `tag_day` are the
        same (after the close on an expiry day the tags roll to the next expiry)."""
        day = dump_day(minute)
        dump = self._dump(ix.exchange, day, minute)
        live_from = tag_day(minute)
        key = (ix.exchange, day, name, ix.spot_key, tuple(ix.expiry_tags), live_from)
        uni = self._universes.get(key)
        if uni is None:
            grouped = self._options.get((ix.exchange, day))
            if grouped is None:
                grouped = self._options[(ix.exchange, day)] = options_by_name(dump, ix.exchange)
            uni = build_universe(grouped, name, ix.exchange, ix.spot_key, ix.expiry_tags, live_from)
            self._universes[key] = uni
            if uni.unresolved:
                log.warning(
                    "%s: no %s contract in the %s instrument dump of %s; these expiry tags are not collected",
                    name, " or ".join(uni.unresolved), ix.exchange, day.isoformat(),
                )
        return uni

    def _deadline(self, minute: datetime) -> datetime | None:
        """No quote call of the minute starts from this instant on (a rate-limited source only)."""
        limited = math.isfinite(getattr(self.source, "requests_per_second", math.inf))
        if self.deadline_seconds is None or not limited:
            return None
        return minute + timedelta(seconds=self.deadline_seconds)

    def _quote_all(self, keys: Sequence[str], now: datetime, deadline: datetime | None) -> Batched[Mapping[str, Any]]:
        """Kite `/quote` items of `keys` (`in_batches`)."""
        return in_batches(keys, lambda batch: self.source.quote(batch, now), self.source.max_batch, self._clock,
                          deadline, self._wait, self.stats.note_quote_request)

    def _quote_table(self, keys: Sequence[str], now: datetime, deadline: datetime | None) -> Batched[QuoteTable]:
        """`_quote_all` as parsed `QuoteTable`s (straight from the source when it can answer one)."""
        source = self.source

        def ask(batch: list[str]) -> QuoteTable:
            if isinstance(source, TableQuoteSource):
                return source.quote_table(batch, now)
            return QuoteTable.from_items(source.quote(batch, now))

        return in_batches(keys, ask, source.max_batch, self._clock, deadline, self._wait,
                          self.stats.note_quote_request)

    def _wait(self) -> float:
        """Seconds before the source's rate limit lets the next quote call start (0 for a source without one)."""
        wait = getattr(self.source, "next_call_in", None)
        return float(wait()) if callable(wait) else 0.0

    def _universes_of(
        self, indices: Mapping[str, IndexSettings], minute: datetime, result: FetchResult
    ) -> dict[str, IndexUniverse]:
        """The universe of each index; one whose dump or contracts are unusable is a failure in `result`."""
        universes: dict[str, IndexUniverse] = {}
        for name, ix in indices.items():
            try:
                universes[name] = self._universe(name, ix, minute)
            except (UniverseError, DumpError) as exc:
                result.failures[name] = str(exc)
            except ProviderError as exc:
                if isinstance(exc, TokenExpiredError | CircuitOpenError):
                    raise
                result.failures[name] = f"instrument dump unavailable: {exc}"
        return universes

    def _windows(
        self, name: str, uni: IndexUniverse, ix: IndexSettings, centres: Mapping[date, float], vix: float,
        minute: datetime,
    ) -> dict[date, np.ndarray]:
        """Each expiry's stored window (`window.expiry_window`)."""
        return {
            e: expiry_window(uni.strikes[e], centre, self._total_vols.get((name, e)), vix, e, minute,
                             ix.strikes_below, ix.strikes_above, ix.wings)
            for e, centre in centres.items()
        }

    def _update_total_vols(
        self, name: str, uni: IndexUniverse, centres: Mapping[date, float], table: QuoteTable
    ) -> None:
        """Each expiry's σ√t from this minute's ATM straddle, for the next minute's windows."""
        for e, centre in centres.items():
            vol = quoted_total_vol(uni, e, centre, table)
            if math.isfinite(vol):
                self._total_vols[(name, e)] = vol

    def prepare(self, indices: Mapping[str, IndexSettings], now: datetime) -> None:
        """Get ready for the fetch at `now` before it is due: the instrument dumps and the universes of the
        minute's day (from the cache, else downloaded; read again once `dump_refresh` old). Nothing is quoted;
        whatever fails here, the fetch meets again and reports."""
        self._universes_of(indices, floor_minute(now), FetchResult())

    def fetch(self, indices: Mapping[str, IndexSettings], now: datetime) -> FetchResult:
        """Collect every underlying for the minute of `now`, in the priority order of `indices`; see
        `Provider.fetch`, `chain_plan` for the calls and `batches` for the deadline."""
        self.stats = ProviderStats()
        self.source.begin(self.stats)
        minute = floor_minute(now)
        deadline = self._deadline(minute)
        result = FetchResult()
        universes = self._universes_of(indices, minute, result)
        spot_keys = list(dict.fromkeys([VIX_KEY, *(u.spot_key for u in universes.values())]))
        spots = self._quote_all(spot_keys, minute, deadline)
        quotes = {k: v for answer in spots.answers for k, v in answer.items()}
        centres = self._window_centres(universes, quotes, spots, result)
        vix_item = quotes.get(VIX_KEY)
        vix = finite_float(vix_item.get("last_price")) if vix_item else math.nan
        windows = {n: self._windows(n, universes[n], indices[n], c, vix, minute) for n, c in centres.items()}
        keys = {n: window_keys(universes[n], w) for n, w in windows.items()}
        ordered = list(dict.fromkeys(k for n in windows for k in keys[n]))
        asked = self._quote_table(ordered, minute, deadline)
        full = self._quote_rest(universes, windows, (ordered, asked), spots.calls, minute, deadline)
        table = full.table
        spot_times = np.array([exchange_seconds(item.get("timestamp")) for item in quotes.values()], dtype="float64")
        closed = freshness.exchange_closed(np.concatenate([spot_times, table.fields["exchange_timestamp"]]), minute)
        if closed is not None:
            result.closed = {name: closed for name in indices if name not in result.failures | result.skipped}
            return result
        self.stats.quote_calls = spots.calls + asked.calls + full.calls
        for n, c in centres.items():
            self._update_total_vols(n, universes[n], c, table)
        unasked = set(asked.unasked)
        for name, w in windows.items():
            if unasked.intersection(keys[name]):
                result.skipped[name] = self._skip_reason(deadline, len(result.snapshots))
                continue
            self._store(name, universes[name], w, (full, asked), (quotes, vix), (minute, now), result)
        return result

    def _window_centres(
        self, universes: Mapping[str, IndexUniverse], quotes: Mapping[str, Mapping[str, Any]],
        spots: Batched[Mapping[str, Any]], result: FetchResult,
    ) -> dict[str, dict[date, float]]:
        """Each quoted underlying's window centres (the last minute's, else its price); one whose price was not
        quoted fails, one whose price was not asked (the deadline) is skipped."""
        centres: dict[str, dict[date, float]] = {}
        for name, uni in universes.items():
            if uni.spot_key in spots.unasked:
                result.skipped[name] = self._skip_reason(None, 0)
                continue
            item = quotes.get(uni.spot_key)
            spot = finite_float(item.get("last_price")) if item else math.nan
            if not spot > 0:
                reason = spots.failed.get(uni.spot_key, "not in the quote response")
                result.failures[name] = f"index price {uni.spot_key} not quoted: {reason}"
                continue
            centres[name] = {e: self._centres.get((name, e), spot) for e in set(uni.expiries.values())}
        return centres

    def _skip_reason(self, deadline: datetime | None, ahead: int) -> str:
        """Why an underlying was skipped this minute."""
        when = f" at {deadline.astimezone(IST):%H:%M:%S}" if deadline is not None else ""
        return (f"skipped: the minute's quote time ran out{when} before its quotes were asked; "
                f"{ahead} underlyings ahead of it in priority were quoted")

    def _store(
        self, name: str, uni: IndexUniverse, windows: Mapping[date, np.ndarray], quoted: tuple[_FullChains, Batched[QuoteTable]],
        prices: tuple[Mapping[str, Mapping[str, Any]], float], when: tuple[datetime, datetime], result: FetchResult,
    ) -> None:
        """The snapshot of one underlying into `result`, or its failure when an option batch failed."""
        full, asked = quoted
        legs = uni.legs_at(windows)
        full_keys = [uni.exchange + ":" + s for s in legs["tradingsymbol"].tolist()]
        failed = full.failed
        reasons = sorted({failed[k] for k in full_keys if k in failed}) if failed else []
        if reasons:
            result.failures[name] = f"option quotes failed: {reasons[0]}"
            return
        fetched_at = max((asked.received[k] for k in full_keys if k in asked.received), default=self._clock())
        snapshot = self._snapshot(name, uni, legs, full_keys, full.table, prices, when, fetched_at)
        result.snapshots[name] = replace(snapshot, chain=chain_frame(uni, full.expiries.get(name, ()), full.table))

    def _quote_rest(
        self,
        universes: Mapping[str, IndexUniverse],
        windows: Mapping[str, Mapping[date, np.ndarray]],
        windows_asked: tuple[Sequence[str], Batched[QuoteTable]],
        spot_calls: int,
        minute: datetime,
        deadline: datetime | None,
    ) -> _FullChains:
        """Quote the rest of the chains that fit the minute's budget and deadline, after the windows (`windows_asked`:
        the windows' keys and what asking them gave)."""
        window_keys_, asked = windows_asked
        table = QuoteTable.concat(asked.answers)
        failed = dict(asked.failed)
        done = set(window_keys_)
        candidates = [
            ExpiryChain(n, e, unasked(universes[n], e, done)) for n, w in windows.items() for e in sorted(w)
        ]
        batch = self.source.max_batch
        used = spot_calls + asked.calls
        rate = getattr(self.source, "requests_per_second", math.inf)
        chosen = [] if asked.unasked else choose_full_chains(candidates, used, budget_calls(rate, self.quote_seconds), batch)
        rest = sorted({k for c in chosen for k in c.extra})
        calls = 0
        if rest:
            more = self._quote_table(rest, minute, deadline)
            table = QuoteTable.concat([table, *more.answers])
            failed.update(more.failed)
            failed.update(dict.fromkeys(more.unasked, "not asked: the minute's quote time ran out"))
            calls = more.calls
        expiries: dict[str, list[date]] = {}
        for c in chosen:
            if not any(k in failed for k in c.extra):
                expiries.setdefault(c.index, []).append(c.expiry)
        return _FullChains(table, expiries, failed, calls)

    def _snapshot(
        self,
        name: str,
        uni: IndexUniverse,
        legs: pd.DataFrame,
        full_keys: Sequence[str],
        table: QuoteTable,
        prices: tuple[Mapping[str, Mapping[str, Any]], float],
        when: tuple[datetime, datetime],
        fetched_at: datetime,
    ) -> ChainSnapshot:
        """The snapshot of one underlying; `prices` are (the price quotes by key, the VIX), `when` is (the minute,
        the instant it is fetched for: quote ages count to it)."""
        minute, now = when
        spots, vix = prices
        got, missing, ages = quoted_legs(legs, full_keys, table, now, self.stale_after)
        self._centres.update({(name, exp): fwd for exp, fwd in expiry_centres(uni, got).items()})
        spot_item = spots[uni.spot_key]
        ohlc = spot_item.get("ohlc") or {}
        spot_time = exchange_seconds(spot_item.get("timestamp"))
        age = freshness.index_quote_age(float(freshness.quote_ages(now, np.array([spot_time]))[0]), ages)
        return ChainSnapshot(
            index=name,
            timestamp=minute,
            fetched_at=fetched_at,
            spot=finite_float(spot_item.get("last_price")),
            legs=got,
            expiries=dict(uni.expiries),
            missing=missing,
            spot_open=finite_float(ohlc.get("open")),
            spot_high=finite_float(ohlc.get("high")),
            spot_low=finite_float(ohlc.get("low")),
            spot_prev_close=finite_float(ohlc.get("close")),
            vix=vix,
            provider=self.name,
            exchange_timestamp=datetime.fromtimestamp(spot_time, IST) if math.isfinite(spot_time) else None,
            quote_age_seconds=age,
            stale=bool(age > self.stale_after) if math.isfinite(age) else None,
        )

    def window_state(self) -> dict[str, dict[tuple[str, date], float]]:
        """What the next fetch's strike windows start from, per (index, expiry): the window centre and the
        total volatility that sets how far the window reaches (kept between runs by callers)."""
        return {"centre": dict(self._centres), "total_vol": dict(self._total_vols)}

    def restore_window_state(self, state: Mapping[str, Mapping[tuple[str, date], float]]) -> None:
        """Start the strike windows from the state an earlier process kept (`window_state`)."""
        self._centres.update(state.get("centre", {}))
        self._total_vols.update(state.get("total_vol", {}))

    def source_state(self) -> dict[str, Any]:
        """What the source keeps between runs (`KeepsState`; empty for a source that keeps nothing)."""
        return self.source.source_state() if isinstance(self.source, KeepsState) else {}

    def restore_source_state(self, state: Mapping[str, Any]) -> None:
        """Start the source from what an earlier process kept (`source_state`)."""
        if isinstance(self.source, KeepsState):
            self.source.restore_source_state(state)
