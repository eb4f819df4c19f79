"""Which quotes a minute asks for: each expiry's stored window, out to its 25-delta wings, and, inside the
per-minute call budget, the rest of its listed chain for the full-chain PCR and max pain.

A minute's quote calls, in order:
1. the index prices and the India VIX;
2. each expiry's stored window: the configured strikes around its centre, widened out to its wings
   (`instruments.wings`) by `window.guess_total_vol`, decided before any option is quoted;
3. every other listed contract of the expiries chosen for the full chain (OI and volume are kept).

The budget is ⌊requests per second × `QUOTE_SECONDS_PER_MINUTE`⌋ calls of at most 500 instruments, shared by
all indices (the rate is the source's, one token bucket per API root). Steps 1 and 2 are always made and count
first. Full chains are then added nearest expiry first (ties in the order the indices are configured): an
expiry whose chain would not fit is skipped, its PCR and max pain come from its window (`pcr_scope`
"window"), and a smaller chain later in the order may still fit. A source with no rate limit (the simulated
market) has no budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from g6_pipeline.core.snapshot import CHAIN_COLUMNS
from g6_pipeline.instruments import IndexUniverse
from g6_pipeline.providers.quotes import QuoteTable

QUOTE_SECONDS_PER_MINUTE = 20.0
"""Seconds of rate-limited quote calls a minute may spend (at Kite's 1 request/s: 20 calls, 10,000 instruments),
leaving the rest of the minute for analytics, storage and a retry or two."""


def budget_calls(requests_per_second: float, seconds: float = QUOTE_SECONDS_PER_MINUTE) -> float:
    """Quote calls a minute may make at `requests_per_second` (infinite without a rate limit)."""
    if not math.isfinite(requests_per_second):
        return math.inf
    return float(math.floor(requests_per_second * seconds + 1e-9))


def calls_for(keys: int, batch: int) -> int:
    """Quote calls needed for `keys` instruments at `batch` a call."""
    return -(-keys // batch)


@dataclass(frozen=True)
class ExpiryChain:
    """The contracts of one expiry of one index not yet asked for this minute."""

    index: str
    expiry: date
    extra: tuple[str, ...]


def choose_full_chains(
    candidates: Sequence[ExpiryChain], used_calls: int, budget: float, batch: int
) -> list[ExpiryChain]:
    """The candidates whose remaining contracts fit, together, in the calls left after `used_calls`.

    Nearest expiry first, ties in the order given; a chain that does not fit is skipped, never cut.
    """
    chosen: list[ExpiryChain] = []
    keys = 0
    for candidate in sorted(candidates, key=lambda c: c.expiry):
        total = keys + len(candidate.extra)
        if used_calls + calls_for(total, batch) <= budget:
            chosen.append(candidate)
            keys = total
    return chosen


def window_keys(uni: IndexUniverse, windows: Mapping[date, np.ndarray]) -> list[str]:
    """Quote keys of the contracts of each expiry whose strike is in its window."""
    keys: list[str] = []
    for expiry, window in windows.items():
        rows, strikes = uni.rows_of(expiry)
        keys.extend(uni.quote_keys[rows[np.isin(strikes, window)]].tolist())
    return keys


def unasked(uni: IndexUniverse, expiry: date, asked: set[str]) -> tuple[str, ...]:
    """Quote keys of the contracts of `expiry` not in `asked`."""
    rows, _ = uni.rows_of(expiry)
    return tuple(k for k in uni.quote_keys[rows].tolist() if k not in asked)


def chain_table(
    tag: np.ndarray | pd.Series, strike: np.ndarray, side: np.ndarray | pd.Series, oi: np.ndarray, volume: np.ndarray
) -> pd.DataFrame:
    """`CHAIN_COLUMNS` from aligned per-contract arrays (one row per tag and contract); `tag` and `side` may
    already be `str` Series (the same for every minute of a day)."""
    columns = {
        "expiry_tag": pd.Series(tag, dtype="str", copy=False), "strike": np.asarray(strike, dtype="float64"),
        "side": pd.Series(side, dtype="str", copy=False), "oi": np.asarray(oi, dtype="float64"),
        "volume": np.asarray(volume, dtype="float64"),
    }
    return pd.DataFrame({name: columns[name] for name in CHAIN_COLUMNS}, copy=False)


def chain_frame(uni: IndexUniverse, full: Iterable[date], table: QuoteTable) -> pd.DataFrame | None:
    """`CHAIN_COLUMNS` of every contract of the `full` expiries (one block per tag); None when there are none."""
    wanted = set(full)
    tags = [(tag, e) for tag, e in uni.expiries.items() if e in wanted]
    if not tags:
        return None
    strike = uni.contracts["strike"].to_numpy("float64")
    side = uni.contracts["side"].to_numpy(object)
    parts: dict[str, list[np.ndarray]] = {"tag": [], "strike": [], "side": [], "oi": [], "volume": []}
    for tag, expiry in tags:
        rows, _ = uni.rows_of(expiry)
        found = table.lookup(uni.quote_keys[rows].tolist())
        quoted = found >= 0
        parts["tag"].append(np.full(rows.size, tag, dtype=object))
        parts["strike"].append(strike[rows])
        parts["side"].append(side[rows])
        for name in ("oi", "volume"):
            values = np.full(rows.size, np.nan)
            values[quoted] = table.fields[name][found[quoted]]
            parts[name].append(values)
    return chain_table(*(np.concatenate(parts[k]) for k in ("tag", "strike", "side", "oi", "volume")))
