"""Kite's instrument dump as a typed frame: exact columns, parsed from CSV or from the client's records."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

DUMP_COLUMNS: tuple[str, ...] = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
"""Columns of Kite's `/instruments` CSV, in order."""

OPTION_SEGMENTS: dict[str, str] = {"NFO": "NFO-OPT", "BFO": "BFO-OPT"}
"""Options exchange → the dump's segment of its options."""


class DumpError(ValueError):
    """An instrument dump that cannot be used (missing columns, unparsable values, empty)."""


def _typed(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    absent = [c for c in DUMP_COLUMNS if c not in frame.columns]
    if absent:
        raise DumpError(f"{origin}: instrument dump lacks columns {absent}")
    out = frame.loc[:, list(DUMP_COLUMNS)].copy()
    try:
        out["instrument_token"] = out["instrument_token"].astype("int64")
        out["exchange_token"] = pd.to_numeric(out["exchange_token"], errors="coerce").astype("Int64")
        out["lot_size"] = out["lot_size"].astype("int64")
        for col in ("last_price", "strike", "tick_size"):
            out[col] = out[col].astype("float64")
        out["expiry"] = _dates(out["expiry"])
    except (ValueError, TypeError) as exc:
        raise DumpError(f"{origin}: instrument dump has a malformed value: {exc}") from None
    for col in ("tradingsymbol", "name", "instrument_type", "segment", "exchange"):
        out[col] = out[col].fillna("").astype(str)
    return out.reset_index(drop=True)


def _dates(column: pd.Series) -> list[date | None]:
    """`YYYY-MM-DD` texts (or dates) as dates, empty as None; each distinct value parsed once (a dump lists a
    few dozen expiries over a hundred thousand rows)."""
    values = column.astype(object).tolist()
    parsed: dict[Any, date | None] = {}
    for value in set(values):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            parsed[value] = None
        elif isinstance(value, date):
            parsed[value] = value
        else:
            parsed[value] = datetime.strptime(str(value), "%Y-%m-%d").date()
    return [parsed[v] for v in values]


def parse_dump_csv(data: bytes, origin: str = "instrument dump") -> pd.DataFrame:
    """Parse Kite's CSV dump into a typed frame (expiry as `datetime.date` or None)."""
    if not data.strip():
        raise DumpError(f"{origin}: empty instrument dump")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DumpError(f"{origin}: unreadable instrument dump: {exc}") from None
    return _typed(frame, origin)


def dump_from_records(records: Iterable[Mapping[str, Any]], origin: str = "instrument dump") -> pd.DataFrame:
    """Typed frame from `KiteConnect.instruments()` records (already cast by the client)."""
    rows = [dict(r) for r in records]
    if not rows:
        raise DumpError(f"{origin}: empty instrument dump")
    frame = pd.DataFrame(rows)
    frame["expiry"] = [x.isoformat() if hasattr(x, "isoformat") else (x or "") for x in frame["expiry"]]
    return _typed(frame, origin)


def dump_to_csv(frame: pd.DataFrame) -> bytes:
    """Serialise a typed dump back to Kite's CSV layout."""
    out = frame.loc[:, list(DUMP_COLUMNS)].copy()
    texts = {x: x.isoformat() if isinstance(x, date) else "" for x in set(out["expiry"].tolist())}
    out["expiry"] = [texts[x] for x in out["expiry"].tolist()]
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
