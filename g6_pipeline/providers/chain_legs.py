"""One underlying's quoted legs as a snapshot holds them, and the window centres they give the next minute."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.core import freshness
from g6_pipeline.core.snapshot import LEG_COLUMNS
from g6_pipeline.instruments import IndexUniverse, strike_window_centre
from g6_pipeline.providers.quotes import QUOTE_FIELDS, QuoteTable
from g6_pipeline.providers.window import leg_price


def quoted_legs(
    legs: pd.DataFrame, full_keys: Sequence[str], table: QuoteTable, now: datetime, stale_after: float
) -> tuple[pd.DataFrame, tuple[str, ...], np.ndarray]:
    """The legs of `legs` (the universe's rows, keyed by `full_keys`) that `table` quoted, with their quote
    fields, exchange times and stale flags (older than `stale_after` seconds at `now`); the symbols not quoted;
    the quoted legs' ages in seconds."""
    rows = table.lookup(full_keys)
    present = rows >= 0
    pos = np.flatnonzero(present)
    symbols = legs["tradingsymbol"].to_numpy(object)
    missing = tuple(sorted(set(symbols[~present].tolist())))
    quoted = rows[present]
    data: dict[str, Any] = {}
    for col in LEG_COLUMNS:
        if col in QUOTE_FIELDS:
            data[col] = table.fields[col][quoted]
        elif col in ("instrument_token", "lot_size"):
            data[col] = legs[col].to_numpy()[pos].astype("int64")
        elif col == "strike":
            data[col] = legs[col].to_numpy()[pos].astype("float64")
        else:
            data[col] = legs[col].array.take(pos)
    stamps = table.fields["exchange_timestamp"][quoted]
    ages = freshness.quote_ages(now, stamps)
    data["exchange_timestamp"] = freshness.exchange_times(stamps)
    data["last_trade_time"] = freshness.exchange_times(table.fields["last_trade_time"][quoted])
    data["stale"] = freshness.stale_flags(ages, stale_after)
    return pd.DataFrame(data), missing, ages


def expiry_centres(uni: IndexUniverse, legs: pd.DataFrame) -> dict[date, float]:
    """Each expiry's `strike_window_centre` from its quoted legs (mid, else last price), for the next window;
    an expiry without a finite centre is left out."""
    expiry = np.asarray(legs["expiry"], dtype=object)
    strike = np.asarray(legs["strike"], dtype="float64")
    side = np.asarray(legs["side"], dtype=object)
    is_call, is_put = side == "CE", side == "PE"
    price = leg_price(*(legs[c].to_numpy(dtype="float64", na_value=np.nan) for c in ("bid", "ask", "last_price")))
    centres: dict[date, float] = {}
    for exp in set(uni.expiries.values()):
        sel = np.flatnonzero(expiry == exp)
        calls, puts = sel[is_call[sel]], sel[is_put[sel]]
        # the first row of each strike and side (an expiry under two tags lists its legs twice)
        ck, ci = np.unique(strike[calls], return_index=True)
        pk, pi = np.unique(strike[puts], return_index=True)
        both, at_c, at_p = np.intersect1d(ck, pk, assume_unique=True, return_indices=True)
        fwd = strike_window_centre(both, price[calls[ci[at_c]]], price[puts[pi[at_p]]])
        if math.isfinite(fwd):
            centres[exp] = fwd
    return centres
