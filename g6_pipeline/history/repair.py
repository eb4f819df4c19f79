"""Gap repair: the missing minutes of a day refilled from Kite's historical minute candles with OI.

Which minutes: the day's session minutes before the current minute, less those stored (one overview row
per stored minute). Which contracts: for each run of missing minutes, those stored at the nearest live minute
before it (else after it), kept only while still in today's instrument dump. Each contract costs one
historical call (from the session start, so volumes can be summed from the day's first candle), within
Kite's 3 requests/s (`KiteSource.historical`).

A repaired row has source `kite_historical`: the candle close as `last_price`, the candle OI, and as
`volume` the sum of the day's candle volumes up to that minute (live rows carry Kite's cumulative day
volume, so the two stay comparable); bid, ask, their quantities and the average price are NaN, never made
up. The spot is the index's own candle close (the day's open, high and low from its candles, the previous
close from the stored live rows, VIX NaN); a minute with no index candle stays a gap. IV and Greeks come
from the same `enrich_many` as live rows.
A minute that cannot be repaired stays a gap with its reason; a stored minute is never written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from g6_pipeline.analytics import enrich_many
from g6_pipeline.collection.reference import ReferenceCache
from g6_pipeline.core.clock import IST, floor_minute, now_ist
from g6_pipeline.core.schema import REPAIR_SOURCE
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot, EnrichedChain
from g6_pipeline.instruments import DumpError, InstrumentCache, dump_day
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.providers.base import (
    CircuitOpenError,
    PermissionDeniedError,
    ProviderError,
    TokenExpiredError,
)
from g6_pipeline.settings.model import IndexSettings
from g6_pipeline.storage.minute import MinuteStore, commit_minute
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW
from g6_pipeline.storage.reader import read_day_table
from g6_pipeline.storage.writer import partition_lock
from g6_pipeline.util.lock import LockTimeoutError
from g6_pipeline.util.stopping import deferred

SOURCE = REPAIR_SOURCE
CONTRACT_COLUMNS = ("instrument_token", "tradingsymbol", "expiry", "expiry_tag", "strike", "side", "lot_size",
                    "prev_close")
"""What a repaired leg takes from the stored live minute it copies its contracts from."""
NOT_SUBSCRIBED = "Kite historical data is not subscribed (PermissionException): no repair"


class HistoricalSource(Protocol):
    """Instrument dumps and historical minute candles (`KiteSource`)."""

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The typed instrument dump of `exchange` for `day`."""
        ...

    def historical(self, instrument_token: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Minute candles with OI from `start` to `end` inclusive."""
        ...


@dataclass
class IndexRepair:
    """What the repair of one index found and did."""

    index: str
    expected: int = 0
    present: int = 0
    repaired: list[datetime] = field(default_factory=list)
    missing: dict[datetime, str] = field(default_factory=dict)
    """Minutes still missing, with the reason."""
    calls: int = 0

    def reasons(self) -> dict[str, list[datetime]]:
        """The still-missing minutes grouped by reason, in time order."""
        out: dict[str, list[datetime]] = {}
        for minute in sorted(self.missing):
            out.setdefault(self.missing[minute], []).append(minute)
        return out


@dataclass
class RepairReport:
    """The repair of one day."""

    day: date
    indices: dict[str, IndexRepair] = field(default_factory=dict)
    stopped: str | None = None
    """Why the repair stopped early (a rejected token, an open circuit), if it did."""
    not_subscribed: bool = False
    quarantined: list[str] = field(default_factory=list)
    """Unreadable slices moved to the quarantine folder first (their minutes become gaps to repair)."""


@dataclass
class _Candles:
    """One instrument's day of candles, by minute: close, summed volume, OI, and the index's range."""

    close: dict[datetime, float]
    volume: dict[datetime, float]
    oi: dict[datetime, float]
    open_: float = math.nan
    high: dict[datetime, float] = field(default_factory=dict)
    low: dict[datetime, float] = field(default_factory=dict)


def stored_minutes(setup: ProcessSetup, day: date, index: str) -> set[datetime]:
    """The minutes of (day, index) that are stored (their overview rows)."""
    try:
        table = read_day_table(setup.location, OVERVIEW, day, index, ["timestamp"])
    except FileNotFoundError:
        return set()
    stamps = pd.DatetimeIndex(table.column("timestamp").to_pandas()).tz_convert(IST)
    return set(stamps.to_pydatetime().tolist())


def expected_minutes(setup: ProcessSetup, day: date, now: datetime) -> list[datetime]:
    """The session minutes of `day` that have ended by `now`."""
    current = floor_minute(now.astimezone(IST))
    return [m for m in setup.calendar.session_minutes(day) if m < current]


def gaps(expected: Sequence[datetime], present: set[datetime]) -> list[list[datetime]]:
    """Runs of consecutive expected minutes that are not present."""
    runs: list[list[datetime]] = []
    previous_missing = False
    for minute in expected:
        if minute in present:
            previous_missing = False
            continue
        if not previous_missing:
            runs.append([])
        runs[-1].append(minute)
        previous_missing = True
    return runs


def _template(stored: pd.DataFrame, run: Sequence[datetime]) -> pd.DataFrame | None:
    """The contracts of the nearest stored minute before the run (else after it)."""
    stamps = stored["timestamp"]
    before = stamps[stamps < run[0]]
    after = stamps[stamps > run[-1]]
    if len(before):
        pick = before.max()
    elif len(after):
        pick = after.min()
    else:
        return None
    return stored.loc[stamps == pick, list(CONTRACT_COLUMNS)].reset_index(drop=True)


def _candles(records: Iterable[Mapping[str, Any]]) -> _Candles:
    """Candle dicts of `historical_data` by minute (IST); volumes summed from the first candle on."""
    out = _Candles({}, {}, {})
    total, high, low = 0.0, -math.inf, math.inf
    for rec in sorted(records, key=lambda r: r["date"]):
        minute = rec["date"].astimezone(IST)
        volume, close = rec.get("volume"), rec.get("close")
        total = total + float(volume) if volume is not None else math.nan
        if close is None or not math.isfinite(float(close)):
            continue
        if math.isnan(out.open_):
            out.open_ = float(rec.get("open") or close)
        high, low = max(high, float(rec.get("high") or close)), min(low, float(rec.get("low") or close))
        out.close[minute], out.volume[minute] = float(close), total
        out.oi[minute] = float(rec["oi"]) if rec.get("oi") is not None else math.nan
        out.high[minute], out.low[minute] = high, low
    return out


def _legs_at(contracts: pd.DataFrame, candles: Mapping[int, _Candles], minute: datetime) -> pd.DataFrame:
    """The contracts with a candle at `minute`, as `LEG_COLUMNS` rows (no bid/ask: NaN)."""
    tokens = contracts["instrument_token"].astype("int64").tolist()
    have = [t in candles and minute in candles[t].close for t in tokens]
    rows = contracts.loc[have].reset_index(drop=True)
    got = [candles[t] for t, h in zip(tokens, have, strict=True) if h]
    nan = np.full(len(rows), np.nan)
    data: dict[str, Any] = {
        "instrument_token": rows["instrument_token"].astype("int64"),
        "tradingsymbol": rows["tradingsymbol"].astype(str),
        "expiry": rows["expiry"],
        "expiry_tag": rows["expiry_tag"].astype(str),
        "strike": rows["strike"].astype("float64"),
        "side": rows["side"].astype(str),
        "lot_size": rows["lot_size"].astype("int64"),
        "last_price": np.array([c.close[minute] for c in got], dtype=float),
        "bid": nan, "ask": nan, "bid_qty": nan, "ask_qty": nan, "average_price": nan,
        "volume": np.array([c.volume[minute] for c in got], dtype=float),
        "oi": np.array([c.oi[minute] for c in got], dtype=float),
        "prev_close": rows["prev_close"].astype("float64"),
    }
    return pd.DataFrame({name: data[name] for name in LEG_COLUMNS})


@dataclass
class _IndexPlan:
    """One index: its contracts per missing minute and the instruments to ask for."""

    name: str
    spot_token: int
    contracts: dict[datetime, pd.DataFrame]
    prev_close: float


class _Repairer:
    """Plans, fetches and writes the repair of one day."""

    def __init__(self, setup: ProcessSetup, source: HistoricalSource, day: date, now: datetime,
                 clock: Callable[[], datetime], cache: InstrumentCache | None) -> None:
        self.setup, self.source, self.day, self.now, self.clock = setup, source, day, now, clock
        self.cache = cache
        self.report = RepairReport(day)
        self._dumps: dict[str, pd.DataFrame] = {}
        self.gap_minutes: dict[str, list[datetime]] = {}
        """The missing minutes found per index, before any repair."""

    def dump(self, exchange: str) -> pd.DataFrame:
        """Today's dump of `exchange` (through the instrument cache when there is one), read once."""
        if exchange not in self._dumps:
            today = dump_day(self.now)
            if self.cache is not None:
                frame, _ = self.cache.get(exchange, today, lambda: self.source.instruments(exchange, today))
            else:
                frame = self.source.instruments(exchange, today)
            self._dumps[exchange] = frame
        return self._dumps[exchange]

    def plan(self, name: str, ix: IndexSettings) -> _IndexPlan | None:
        """Find the index's missing minutes and the contracts to refill them with (None: nothing to do)."""
        result = self.report.indices[name] = IndexRepair(name)
        expected = expected_minutes(self.setup, self.day, self.now)
        present = stored_minutes(self.setup, self.day, name)
        result.expected, result.present = len(expected), sum(m in present for m in expected)
        runs = gaps(expected, present)
        self.gap_minutes[name] = [m for r in runs for m in r]
        if not runs:
            return None
        if not present:
            reason = "nothing stored that day to take contracts from"
            result.missing.update(dict.fromkeys(self.gap_minutes[name], reason))
            return None
        contracts = self._contracts(name, ix, runs, result)
        spot_exchange, spot_symbol = ix.spot_key.split(":", 1)
        indices = self.dump(spot_exchange)
        hit = indices.loc[indices["tradingsymbol"] == spot_symbol, "instrument_token"]
        if hit.empty:
            reason = f"{ix.spot_key} not in the {spot_exchange} instrument dump"
            result.missing.update(dict.fromkeys(contracts, reason))
            return None
        overview = read_day_table(self.setup.location, OVERVIEW, self.day, name, ["index_prev_close"])
        closes = overview.to_pandas()["index_prev_close"].dropna()
        prev = float(closes.iloc[0]) if len(closes) else math.nan
        return _IndexPlan(name, int(hit.iloc[0]), contracts, prev) if contracts else None

    def _contracts(
        self, name: str, ix: IndexSettings, runs: Sequence[Sequence[datetime]], result: IndexRepair
    ) -> dict[datetime, pd.DataFrame]:
        """Each missing minute's contracts: its run's template, less those not in today's dump."""
        columns = ["timestamp", *CONTRACT_COLUMNS]
        stored = read_day_table(self.setup.location, OPTIONS, self.day, name, columns).to_pandas()
        stored["timestamp"] = pd.DatetimeIndex(stored["timestamp"]).tz_convert(IST)
        listed = set(self.dump(ix.exchange)["instrument_token"].astype("int64").tolist())
        contracts: dict[datetime, pd.DataFrame] = {}
        for run in runs:
            template = _template(stored, run)
            kept = None if template is None else template.loc[template["instrument_token"].isin(listed)]
            if kept is None or kept.empty:
                result.missing.update(dict.fromkeys(run, "contracts not listed any more"))
                continue
            contracts.update(dict.fromkeys(run, kept.reset_index(drop=True)))
        return contracts

    def fetch(self, token: int, result: IndexRepair, end: datetime) -> _Candles | str:
        """The day's candles of one instrument up to `end`, or why there are none (permission and token stop)."""
        session = self.setup.calendar.session_minutes(self.day)
        result.calls += 1
        try:
            return _candles(self.source.historical(token, session[0], end))
        except (PermissionDeniedError, TokenExpiredError, CircuitOpenError):
            raise
        except ProviderError as exc:
            return str(exc)

    def snapshots(self, plan: _IndexPlan) -> dict[datetime, ChainSnapshot]:
        """Fetch the index's candles and build a snapshot per repairable minute (the others get a reason)."""
        result = self.report.indices[plan.name]
        end = max(plan.contracts)
        spot = self.fetch(plan.spot_token, result, end)
        if isinstance(spot, str):
            result.missing.update(dict.fromkeys(plan.contracts, f"index candles unavailable: {spot}"))
            return {}
        tokens = sorted({int(t) for c in plan.contracts.values() for t in c["instrument_token"]})
        candles = {t: c for t in tokens if not isinstance(c := self.fetch(t, result, end), str)}
        received = self.clock()
        out: dict[datetime, ChainSnapshot] = {}
        for minute, contracts in sorted(plan.contracts.items()):
            if minute not in spot.close:
                result.missing[minute] = "no index candle"
                continue
            legs = _legs_at(contracts, candles, minute)
            if legs.empty:
                result.missing[minute] = "no option candle"
                continue
            absent = sorted(set(contracts["tradingsymbol"].astype(str)) - set(legs["tradingsymbol"]))
            expiries = dict(zip(contracts["expiry_tag"].astype(str), contracts["expiry"], strict=True))
            out[minute] = ChainSnapshot(
                index=plan.name, timestamp=minute, fetched_at=received, spot=spot.close[minute], legs=legs,
                expiries=expiries, missing=tuple(absent), spot_open=spot.open_, spot_high=spot.high[minute],
                spot_low=spot.low[minute], spot_prev_close=plan.prev_close, provider=SOURCE,
            )
        return out

    def write(self, by_index: Mapping[str, Mapping[datetime, ChainSnapshot]]) -> None:
        """Enrich and write each repaired minute through the sinks, skipping any minute stored meanwhile."""
        settings = self.setup.settings
        references = ReferenceCache(self.setup.location, self.setup.calendar)
        for name, snapshots in by_index.items():
            result = self.report.indices[name]
            stored = stored_minutes(self.setup, self.day, name)
            refs = {name: references.get(name, self.day)}
            for minute, snapshot in sorted(snapshots.items()):
                if minute in stored:
                    continue
                chain = enrich_many([snapshot], settings.analytics.risk_free_rate, refs,
                                    settings.analytics.iv_rank_min_sessions)[0]
                try:
                    # one minute per hold (a live one never waits long), never cut by a stop signal
                    with partition_lock(self.setup.location, self.day, name), deferred():
                        if minute in stored_minutes(self.setup, self.day, name):  # collected meanwhile
                            continue
                        failed = _write_chain(self.setup, chain)
                except LockTimeoutError as exc:
                    failed = str(exc)
                if failed:
                    result.missing[minute] = f"write failed: {failed}"
                else:
                    result.repaired.append(minute)


def _write_chain(setup: ProcessSetup, chain: EnrichedChain) -> str:
    """Commit one chain's minute whole to the stores of the minute, then write it to the outbox sinks; the first
    error, or ''."""
    done = commit_minute(setup.location, [s for s in setup.sinks if isinstance(s, MinuteStore)], chain)
    if done.error:
        return done.error
    for sink in setup.sinks:
        if isinstance(sink, MinuteStore):
            continue
        outcome = sink.write([chain])
        if outcome.error:
            return f"{sink.name}: {outcome.error}"
    return ""


def repair_day(
    setup: ProcessSetup,
    source: HistoricalSource,
    day: date,
    indices: Sequence[str] | None = None,
    now: datetime | None = None,
    clock: Callable[[], datetime] = now_ist,
    cache: InstrumentCache | None = None,
) -> RepairReport:
    """Refill the missing minutes of `day` (up to `now`) for `indices` (default: the enabled ones).

    A `PermissionDeniedError` (no historical add-on) leaves every gap with `NOT_SUBSCRIBED` and sets
    `not_subscribed`; a rejected token, an open circuit or an unusable instrument dump stops the repair
    (`stopped`), the minutes already written stay. Today's dumps are read through `cache` when given.
    """
    at = (now or clock()).astimezone(IST)
    names = list(indices) if indices else list(setup.settings.enabled_indices)
    work = _Repairer(setup, source, day, at, clock, cache)
    plans: list[_IndexPlan] = []
    try:
        for name in names:
            plan = work.plan(name, setup.settings.indices[name])
            if plan is not None:
                plans.append(plan)
        for plan in plans:
            work.write({plan.name: work.snapshots(plan)})
    except PermissionDeniedError:
        work.report.not_subscribed = True
        _unrepaired(work, NOT_SUBSCRIBED)
    except (ProviderError, DumpError) as exc:
        work.report.stopped = str(exc)
        _unrepaired(work, f"repair stopped: {exc}")
    return work.report


def _unrepaired(work: _Repairer, reason: str) -> None:
    """Give `reason` to every missing minute found so far that was neither repaired nor given a reason."""
    for name, minutes in work.gap_minutes.items():
        result = work.report.indices[name]
        done = set(result.repaired) | set(result.missing)
        result.missing.update({m: reason for m in minutes if m not in done})
