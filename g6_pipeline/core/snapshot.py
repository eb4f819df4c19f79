"""What one minute of one index looks like as it travels: provider → `ChainSnapshot` → analytics → `EnrichedChain`.

These types are the contract between the layers; nothing here knows where the data came from or goes to.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from g6_pipeline.core.freshness import as_stale_flags

LEG_COLUMNS: tuple[str, ...] = (
    "instrument_token",
    "tradingsymbol",
    "expiry",
    "expiry_tag",
    "strike",
    "side",
    "lot_size",
    "last_price",
    "bid",
    "ask",
    "bid_qty",
    "ask_qty",
    "volume",
    "oi",
    "average_price",
    "prev_close",
)
"""Columns of `ChainSnapshot.legs`, one row per option leg that was quoted.

`instrument_token` int64; `tradingsymbol`, `expiry_tag`, `side` ('CE' or 'PE') str; `expiry` a
`datetime.date`; `strike` float64; `lot_size` int64; every quote field (`last_price` .. `prev_close`) float64,
NaN where the quote did not carry it: a missing value is NaN, never 0. `bid`/`ask` are the best depth level,
`average_price` is the exchange's VWAP for the day, `prev_close` the previous session's close of the leg.
"""

FRESHNESS_COLUMNS: tuple[str, ...] = ("exchange_timestamp", "last_trade_time", "stale")
"""Optional columns of `ChainSnapshot.legs`, what the exchange's clock said of each quote (`core.freshness`):
`exchange_timestamp` and `last_trade_time` tz-aware IST times (NaT when the quote carried none), `stale` a
nullable boolean (the quote had not advanced for the configured time; NA when unknown). A snapshot without
them (a repaired minute) stores nulls."""

CHAIN_COLUMNS: tuple[str, ...] = ("expiry_tag", "strike", "side", "oi", "volume")
"""Columns of `ChainSnapshot.chain`: every listed contract of an expiry whose whole chain was quoted
(`strike`, `oi`, `volume` float64, NaN where not quoted; `expiry_tag`, `side` str)."""


@dataclass(frozen=True)
class ChainSnapshot:
    """The option chain of one index at one minute, as the provider delivered it.

    A snapshot is produced only when the index price itself was quoted: no price, no snapshot (the provider
    reports a failure instead). Legs that were requested but not quoted are listed in `missing`, not
    filled in.
    """

    index: str
    timestamp: datetime
    """The collection minute, tz-aware in Asia/Kolkata, floored to the minute."""
    fetched_at: datetime
    """When the quotes were actually received (tz-aware)."""
    spot: float
    legs: pd.DataFrame
    expiries: Mapping[str, date]
    """Expiry tag → expiry date, for every tag requested for this index."""
    missing: tuple[str, ...] = ()
    """Trading symbols requested but absent from the provider's answer."""
    spot_open: float = math.nan
    spot_high: float = math.nan
    spot_low: float = math.nan
    spot_prev_close: float = math.nan
    vix: float = math.nan
    provider: str = ""
    chain: pd.DataFrame | None = None
    """OI and volume of every listed strike of the expiry tags whose whole chain was quoted (`CHAIN_COLUMNS`),
    for the full-chain PCR and max pain; a tag absent from it was quoted over its window only."""
    exchange_timestamp: datetime | None = None
    """The exchange's time of the index quote (tz-aware), None when it carried none."""
    quote_age_seconds: float = math.nan
    """How long the index's quotes had not advanced when fetched (`core.freshness.index_quote_age`); NaN unknown."""
    stale: bool | None = None
    """Whether `quote_age_seconds` was above the stale threshold; None when unknown."""

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None or self.fetched_at.tzinfo is None:
            raise ValueError("ChainSnapshot timestamps must be timezone-aware")
        if not math.isfinite(self.spot) or self.spot <= 0:
            raise ValueError(f"ChainSnapshot for {self.index} needs a positive spot, got {self.spot!r}")
        absent = [c for c in LEG_COLUMNS if c not in self.legs.columns]
        if absent:
            raise ValueError(f"ChainSnapshot legs lack columns {absent}")

    @property
    def legs_requested(self) -> int:
        """Legs asked for: those quoted plus those missing."""
        return len(self.legs) + len(self.missing)

    @property
    def legs_stale(self) -> int:
        """Legs whose quote was stale (0 when the legs carry no `stale` column)."""
        if "stale" not in self.legs.columns:
            return 0
        return int(as_stale_flags(self.legs["stale"]).to_numpy(dtype=bool, na_value=False).sum())


class IvCloses(Mapping[str, tuple[float, ...]]):
    """Expiry tag → the closing ATM IVs of stored sessions, oldest first, with the source of each close (the
    `source` of that session's last stored minute): what an IV rank is read against and what it rests on."""

    def __init__(self, closes: Mapping[str, tuple[float, ...]], sources: Mapping[str, tuple[str, ...]]) -> None:
        for tag, values in closes.items():
            if len(sources.get(tag, ())) != len(values):
                raise ValueError(f"{tag}: {len(values)} closes but {len(sources.get(tag, ()))} sources")
        self._closes = {tag: tuple(values) for tag, values in closes.items()}
        self.sources: dict[str, tuple[str, ...]] = {tag: tuple(sources[tag]) for tag in self._closes}

    def __getitem__(self, tag: str) -> tuple[float, ...]:
        return self._closes[tag]

    def __iter__(self) -> Iterator[str]:
        return iter(self._closes)

    def __len__(self) -> int:
        return len(self._closes)

    def __repr__(self) -> str:
        return f"IvCloses({self._closes!r}, sources={self.sources!r})"


@dataclass(frozen=True)
class SessionReference:
    """What enrichment needs from earlier data (all optional; absent values give NaN changes, never zeros).

    `prev_close_legs`: the previous session's last snapshot per leg, columns `tradingsymbol`, `last_price`,
    `oi`. `prev_close_straddle` / `day_open_straddle`: expiry tag → ATM straddle (ce + pe) at the previous
    session's last minute / today's first minute. `day_open_spot`: the index price at today's first minute.
    """

    prev_close_legs: pd.DataFrame | None = None
    prev_close_straddle: Mapping[str, float] = field(default_factory=dict)
    day_open_straddle: Mapping[str, float] = field(default_factory=dict)
    day_open_spot: float = math.nan
    atm_iv_closes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Expiry tag → the closing ATM IV of the stored sessions before the day, oldest first (for IV rank); an
    `IvCloses` also names each close's source (a plain mapping: the sources are unknown)."""


@dataclass(frozen=True)
class EnrichedChain:
    """A snapshot with its analytics: the rows every sink writes.

    `options` has exactly `schema.OPTION_COLUMNS` (one row per leg), `overview` holds one value per
    `schema.OVERVIEW_COLUMNS` key.
    """

    snapshot: ChainSnapshot
    options: pd.DataFrame
    overview: dict[str, Any]

    @property
    def index(self) -> str:
        """The index name."""
        return self.snapshot.index

    @property
    def timestamp(self) -> datetime:
        """The collection minute (tz-aware, Asia/Kolkata)."""
        return self.snapshot.timestamp
