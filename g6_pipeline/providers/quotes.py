"""Kite `/quote` items as leg fields: `parse_quote` for one item, `QuoteTable` for a batch as columns.

Every source answers Kite-format items; a source that computes its quotes as arrays (the simulated market)
may also hand over a `QuoteTable` directly, with the values `parse_quote` would have produced from its items.
The exchange's times of a quote (Kite's `timestamp` and `last_trade_time`, IST) travel as Unix seconds in
float64 columns, NaN when the quote carried none: the `kiteconnect` client hands them over as naive IST
datetimes, a source's raw items as `YYYY-MM-DD HH:MM:SS` strings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np

from g6_pipeline.core.clock import IST
from g6_pipeline.util.numeric import finite_float

QUOTE_FIELDS = ("last_price", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "average_price", "prev_close")
"""The leg fields a quote gives, in `LEG_COLUMNS` order."""
QUOTE_TIMES = ("exchange_timestamp", "last_trade_time")
"""The exchange's times of a quote, as Unix seconds (Kite's `timestamp` and `last_trade_time`)."""
QUOTE_COLUMNS = QUOTE_FIELDS + QUOTE_TIMES
"""Every column of a `QuoteTable`."""
_KITE_TIME_KEYS = {"exchange_timestamp": "timestamp", "last_trade_time": "last_trade_time"}
QUOTE_BATCH = 500
"""Most keys Kite answers in one `/quote` call (every source batches the same way)."""
VIX_KEY = "NSE:INDIA VIX"
"""Kite's quote key of the India VIX, fetched with the index prices every minute."""


def exchange_seconds(value: Any) -> float:
    """A Kite quote time as Unix seconds: a datetime (naive means IST) or `YYYY-MM-DD HH:MM:SS` (IST); NaN when
    absent or unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return math.nan
    if not isinstance(value, datetime):
        return math.nan
    return (value if value.tzinfo is not None else value.replace(tzinfo=IST)).timestamp()


def quote_times(item: Mapping[str, Any]) -> dict[str, float]:
    """`QUOTE_TIMES` of one Kite quote item, as Unix seconds (NaN when absent)."""
    return {name: exchange_seconds(item.get(key)) for name, key in _KITE_TIME_KEYS.items()}


def parse_quote(item: Mapping[str, Any]) -> dict[str, float]:
    """The leg fields and exchange times (`QUOTE_COLUMNS`) of one Kite quote item; anything absent or empty is
    NaN, never 0."""
    depth = item.get("depth") or {}

    def best(side: str) -> tuple[float, float]:
        levels = depth.get(side) or []
        if not levels:
            return math.nan, math.nan
        price, qty = finite_float(levels[0].get("price")), finite_float(levels[0].get("quantity"))
        return (price, qty) if price > 0 and qty > 0 else (math.nan, math.nan)

    bid, bid_qty = best("buy")
    ask, ask_qty = best("sell")
    last = finite_float(item.get("last_price"))
    ohlc = item.get("ohlc") or {}
    return {
        "last_price": last if last > 0 else math.nan,
        "bid": bid,
        "ask": ask,
        "bid_qty": bid_qty,
        "ask_qty": ask_qty,
        "volume": finite_float(item.get("volume")),
        "oi": finite_float(item.get("oi")),
        "average_price": finite_float(item.get("average_price")),
        "prev_close": finite_float(ohlc.get("close")),
        **quote_times(item),
    }


@dataclass(frozen=True)
class QuoteTable:
    """Parsed quotes by key: row `i` of every `QUOTE_COLUMNS` column (float64, NaN if absent) is `keys[i]`.

    A key listed twice is looked up at its last row.
    """

    keys: list[str]
    fields: dict[str, np.ndarray]
    rows: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", {k: i for i, k in enumerate(self.keys)})

    @classmethod
    def from_items(cls, items: Mapping[str, Mapping[str, Any]]) -> QuoteTable:
        """The table of Kite items, each through `parse_quote`."""
        parsed = [parse_quote(item) for item in items.values()]
        return cls(list(items), {f: np.array([p[f] for p in parsed], dtype="float64") for f in QUOTE_COLUMNS})

    @classmethod
    def concat(cls, tables: Sequence[QuoteTable]) -> QuoteTable:
        """One table of several; a key quoted twice takes its last row, as `dict.update` would."""
        if len(tables) == 1:
            return tables[0]
        keys = [k for t in tables for k in t.keys]
        parts = {f: [t.fields[f] for t in tables] for f in QUOTE_COLUMNS}
        return cls(keys, {f: np.concatenate(v) if v else np.empty(0, dtype="float64") for f, v in parts.items()})

    def lookup(self, keys: Sequence[str]) -> np.ndarray:
        """Row of each key in the table, −1 for a key that was not quoted."""
        rows = self.rows
        return np.fromiter((rows.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))


@runtime_checkable
class TableQuoteSource(Protocol):
    """A source that can answer a `/quote` batch as a `QuoteTable` without building Kite items."""

    def quote_table(self, keys: Sequence[str], now: datetime) -> QuoteTable:
        """The parsed quotes of at most `max_batch` keys: equal to `parse_quote` of the `/quote` items."""
        ...
