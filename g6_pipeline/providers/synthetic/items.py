"""The two answers of the simulated `/quote`: Kite's item dicts, and the same options as parsed leg columns.

Both read the one set of quote fields `option_fields` prices. `option_items` builds Kite's exact item
format (what the loopback Kite server serves); `option_columns` gives, as arrays, the leg fields
`parse_quote` reads from those items, without building them (what the synthetic provider uses).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from g6_pipeline.providers.synthetic.pricing import TICK

ITEM_FIELDS = ("last_price", "bid", "ask", "bid_qty", "ask_qty", "volume", "oi", "average_price", "prev_close", "open")


def index_item(
    token: int, price: float, stamp: str, ohlc: tuple[float, float, float, float] | None = None
) -> dict[str, Any]:
    """Kite `/quote` item of an index (`ohlc` = open, high, low, previous close; none for the VIX)."""
    item: dict[str, Any] = {"instrument_token": token, "timestamp": stamp, "last_price": round(price, 2),
                            "net_change": 0}
    if ohlc is not None:
        open_, high, low, close = ohlc
        item["ohlc"] = {"open": round(open_, 2), "high": round(max(high, price), 2),
                        "low": round(min(low, price), 2), "close": round(close, 2)}
    return item


def _option_item(token: int, v: Mapping[str, float], stamp: str) -> dict[str, Any]:
    """Kite `/quote` item of one option from its scalar quote fields."""
    last, bid, ask, lot_bid, lot_ask = v["last_price"], v["bid"], v["ask"], v["bid_qty"], v["ask_qty"]
    volume, opened, oi = int(v["volume"]), v["open"], int(v["oi"])
    buy = [{"price": round(max(bid - j * TICK, 0.0), 2) if bid > 0 else 0.0,
            "quantity": int(lot_bid) * (j + 1) if bid > 0 else 0, "orders": (j + 1) if bid > 0 else 0}
           for j in range(5)]
    sell = [{"price": round(ask + j * TICK, 2), "quantity": int(lot_ask) * (j + 1), "orders": j + 1} for j in range(5)]
    return {
        "instrument_token": token, "timestamp": stamp, "last_trade_time": stamp if volume > 0 else None,
        "last_price": last, "last_quantity": int(lot_bid) if volume > 0 else 0,
        "buy_quantity": sum(d["quantity"] for d in buy), "sell_quantity": sum(d["quantity"] for d in sell),
        "volume": volume, "average_price": v["average_price"], "oi": oi,
        "oi_day_high": oi, "oi_day_low": oi, "net_change": 0,
        "lower_circuit_limit": TICK, "upper_circuit_limit": round(max(last * 3, 10.0), 2),
        "ohlc": {"open": opened, "high": max(opened, last), "low": min(opened, last), "close": v["prev_close"]},
        "depth": {"buy": buy, "sell": sell},
    }


def option_items(
    keys: Sequence[str], tokens: np.ndarray, f: Mapping[str, np.ndarray], stamp: str
) -> dict[str, dict[str, Any]]:
    """Kite `/quote` items of options, `keys[i]` priced by element `i` of the `option_fields` arrays `f`."""
    shape = f["fair"].shape
    cols = {n: np.broadcast_to(f[n], shape).tolist() for n in ITEM_FIELDS}
    toks = tokens.tolist()
    return {key: _option_item(int(toks[i]), {n: c[i] for n, c in cols.items()}, stamp) for i, key in enumerate(keys)}


def _finite(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.where(np.isfinite(x), x, math.nan)
    return out


def option_columns(f: Mapping[str, np.ndarray], stamp: float | np.ndarray) -> dict[str, np.ndarray]:
    """The leg fields `parse_quote` reads from `option_items` of the same `f` and the items' time `stamp` (Unix
    seconds, broadcast against `f`), element-wise as float64 arrays.

    Best bid/ask are depth level 0 (a side with no price or no quantity is NaN, both fields), volume and
    OI are truncated to integers as the items carry them, and nothing non-finite survives. Every quote is
    stamped `stamp`, and so is its last trade once the contract has traded.
    """
    shape = f["fair"].shape

    def col(name: str) -> np.ndarray:
        return np.broadcast_to(f[name], shape).astype(np.float64)

    raw_bid, raw_ask = col("bid"), col("ask")
    bid = _finite(np.where(raw_bid > 0, np.round(np.maximum(raw_bid, 0.0), 2), 0.0))
    bid_qty = np.where(raw_bid > 0, np.trunc(col("bid_qty")), 0.0)
    ask, ask_qty = _finite(np.round(raw_ask, 2)), np.trunc(col("ask_qty"))
    has_bid = (bid > 0) & (bid_qty > 0)
    has_ask = (ask > 0) & (ask_qty > 0)
    last = _finite(col("last_price"))
    volume = _finite(np.trunc(col("volume")) + 0.0)
    stamps = np.broadcast_to(np.asarray(stamp, dtype=np.float64), shape).astype(np.float64)
    return {
        "last_price": np.where(last > 0, last, math.nan),
        "bid": np.where(has_bid, bid, math.nan),
        "ask": np.where(has_ask, ask, math.nan),
        "bid_qty": np.where(has_bid, bid_qty + 0.0, math.nan),
        "ask_qty": np.where(has_ask, ask_qty + 0.0, math.nan),
        "volume": volume,
        "oi": _finite(np.trunc(col("oi")) + 0.0),
        "average_price": _finite(col("average_price")),
        "prev_close": _finite(col("prev_close")),
        "exchange_timestamp": stamps,
        "last_trade_time": np.where(volume > 0, stamps, math.nan),
    }
