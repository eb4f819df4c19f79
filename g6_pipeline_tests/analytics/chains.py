"""Small option chains for the chain-analytics tests, priced by vollib (never by the code under test)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from vollib.black import black

from g6_pipeline.core.clock import IST
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot

NOW = datetime(2026, 3, 3, 11, 0, tzinfo=IST)
EXPIRY = date(2026, 3, 10)
T_YEARS = (7 * 86400 + 4.5 * 3600) / (365 * 86400)  # 11:00 → 15:30 a week later


def legs_frame(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """A legs frame with every `LEG_COLUMNS` column; fields a row leaves out are NaN (numeric) or defaults."""
    frame = pd.DataFrame(list(rows))
    defaults: dict[str, Any] = {
        "instrument_token": 0, "tradingsymbol": "", "expiry": EXPIRY, "expiry_tag": "this_week", "lot_size": 65,
    }
    for column in LEG_COLUMNS:
        if column not in frame.columns:
            frame[column] = defaults.get(column, np.nan)
    if "tradingsymbol" not in {k for r in rows for k in r}:
        frame["tradingsymbol"] = [f"X{int(k)}{s}" for k, s in zip(frame["strike"], frame["side"], strict=True)]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("tradingsymbol", "expiry", "expiry_tag", "side")
                                          else np.float64) for c in LEG_COLUMNS})
    frame["instrument_token"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    frame["lot_size"] = frame["lot_size"].astype(np.int64)
    return frame[list(LEG_COLUMNS)]


def snapshot(
    legs: pd.DataFrame,
    spot: float = 24_000.0,
    expiries: dict[str, date] | None = None,
    timestamp: datetime = NOW,
    index: str = "NIFTY",
    **extra: object,
) -> ChainSnapshot:
    """A snapshot of `index` at `timestamp` with the given legs."""
    return ChainSnapshot(
        index=index,
        timestamp=timestamp,
        fetched_at=timestamp,
        spot=spot,
        legs=legs,
        expiries=expiries if expiries is not None else {"this_week": EXPIRY},
        **extra,  # type: ignore[arg-type]
    )


def priced_chain(
    forward: float,
    strikes: Iterable[float],
    t: float,
    rate: float,
    vol_of: Callable[[float], float],
    tag: str = "this_week",
    expiry: date = EXPIRY,
) -> pd.DataFrame:
    """CE and PE legs at each strike, priced with Black-76 on `forward` at σ = vol_of(strike)."""
    rows: list[dict[str, object]] = []
    for k in strikes:
        for side in ("CE", "PE"):
            price = black("c" if side == "CE" else "p", forward, k, t, rate, vol_of(k))
            rows.append({
                "strike": float(k), "side": side, "last_price": price, "expiry_tag": tag, "expiry": expiry,
                "tradingsymbol": f"NIFTY{tag}{int(k)}{side}", "oi": 1000.0, "volume": 500.0,
            })
    return legs_frame(rows)
