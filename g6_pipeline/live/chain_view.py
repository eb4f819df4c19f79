"""What the option-chain screen shows, built from the stored Parquet of one (day, index, expiry tag, minute).

Four views, each a JSON-ready dict (a value missing in storage is None, never 0); the three of one minute
name the `lot_size`, the `sources` of their rows and whether any is a simulated market's (`simulated`):
- `chain_view`: NSE-style rows per strike — CE and PE OI, OI change, volume, IV, delta, LTP, bid/ask — with
  the ATM strike, the max-pain strike, PCR, the IV rank and percentile (and what their history is), the gamma
  and delta exposure, and the in-the-money flag of each side. A call is in the money
  below the expiry's forward (the Black-76 underlying the ATM strike is taken from), a put above it.
- `smile_view`: call and put IV by strike, and the previous stored session's close smile of the same
  expiry date when that day is stored.
- `oi_view`: CE vs PE OI by strike with the change since the previous session's close.
- `intraday_view`: the day's spot, PCR by OI and by volume, ATM straddle and ATM IV per minute, and the
  weekday master's mean (today's weekday, same expiry tag, ATM offset) of the straddle and ATM IV
  (the mean of its CE and PE IV means).

Everything is read through `g6_pipeline.data`. Problems with the request raise `ChainViewError` naming the
parameter at fault.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import EXPIRY_TAGS, SIMULATED_SOURCES
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.reader import read_chain, read_overview, read_weekday_master

SIDE_FIELDS: tuple[tuple[str, str], ...] = (
    ("oi", "oi"), ("oi_change", "oi_change"), ("volume", "volume"), ("iv", "iv"), ("delta", "delta"),
    ("ltp", "last_price"), ("bid_qty", "bid_qty"), ("bid", "bid"), ("ask", "ask"), ("ask_qty", "ask_qty"),
)  # fmt: skip
"""(view name, stored column) of each per-side value of a chain row, in NSE's order from the outside in."""
OPTION_COLUMNS: tuple[str, ...] = (
    "timestamp", "expiry", "expiry_tag", "strike", "side", "lot_size", "index_price", "forward", "atm", "source",
    *dict.fromkeys(column for _, column in SIDE_FIELDS), "gamma",
)  # fmt: skip
LOOKBACK_DAYS = 31
"""How many calendar days back the latest (or previous) stored day is looked for."""


class ChainViewError(ValueError):
    """A request the stored data cannot answer; `parameter` names the request parameter at fault and
    `not_found` is true when nothing at all is stored for the requested day."""

    def __init__(self, parameter: str, message: str, not_found: bool = False) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.not_found = not_found


def value(x: Any) -> float | None:
    """A stored number as JSON: None for a missing or non-finite value."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def parse_minute(text: str | None) -> time | None:
    """`HH:MM` as a time of day; None for None or ''."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise ChainViewError("at", f"not a time: {text!r} (use HH:MM)") from None


def parse_day(text: str | None) -> date | None:
    """`YYYY-MM-DD` as a date; None for None or ''."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ChainViewError("day", f"not a date: {text!r} (use YYYY-MM-DD)") from None


@dataclass(frozen=True)
class StoredDay:
    """One stored day of one index: its option rows and overview rows."""

    day: date
    index: str
    options: pd.DataFrame
    overview: pd.DataFrame
    location: DataLocation


def load_day(index: str, day: date | None, location: DataLocation) -> StoredDay:
    """The stored day of `index` (the latest within `LOOKBACK_DAYS` of today when `day` is None)."""
    days: Iterable[date] = [day] if day else (datetime.now(IST).date() - timedelta(n) for n in range(LOOKBACK_DAYS))
    for candidate in days:
        try:
            overview = read_overview(location, candidate, index)
            options = read_chain(location, candidate, index, columns=list(OPTION_COLUMNS))
        except FileNotFoundError:
            continue
        if len(options):
            return StoredDay(candidate, index, options, overview, location)
    when = day.isoformat() if day else f"the last {LOOKBACK_DAYS} days"
    raise ChainViewError("day", f"no data stored for {index} on {when}", not_found=True)


def previous_day(stored: StoredDay) -> StoredDay | None:
    """The stored day before `stored` (within `LOOKBACK_DAYS`), None when there is none."""
    for n in range(1, LOOKBACK_DAYS + 1):
        try:
            return load_day(stored.index, stored.day - timedelta(n), stored.location)
        except ChainViewError:
            continue
    return None


def _pick_minute(stamps: pd.Series, day: date, at: time | None) -> pd.Timestamp:
    if at is None:
        return pd.Timestamp(stamps.max())
    wanted = pd.Timestamp(datetime.combine(day, at, tzinfo=IST))
    if not (stamps == wanted).any():
        first, last = (pd.Timestamp(s).strftime("%H:%M") for s in (stamps.min(), stamps.max()))
        raise ChainViewError("at", f"minute {at:%H:%M} is not stored for {day.isoformat()} ({first}-{last})")
    return wanted


def _pick_tag(minute_rows: pd.DataFrame, tag: str | None) -> str:
    present = [t for t in EXPIRY_TAGS if (minute_rows["expiry_tag"] == t).any()]
    if tag is None and present:
        return present[0]
    if tag not in present:
        raise ChainViewError("expiry", f"expiry {tag!r} is not stored at this minute (stored: {', '.join(present)})")
    return tag


@dataclass(frozen=True)
class Selection:
    """One expiry of one minute: its option rows, one per (strike, side), and its overview row."""

    stored: StoredDay
    timestamp: pd.Timestamp
    expiry_tag: str
    rows: pd.DataFrame
    overview: pd.Series | None
    expiries: list[dict[str, str]]

    def tag_value(self, name: str) -> float | None:
        """The overview's `<name>_<expiry tag>` at this minute."""
        if self.overview is None:
            return None
        return value(self.overview.get(f"{name}_{self.expiry_tag}"))

    def tag_text(self, name: str) -> str | None:
        """The overview's word `<name>_<expiry tag>` at this minute (None when missing or '')."""
        found = self.overview.get(f"{name}_{self.expiry_tag}") if self.overview is not None else None
        return found if isinstance(found, str) and found else None


def select(stored: StoredDay, expiry_tag: str | None = None, at: time | None = None) -> Selection:
    """The rows of one expiry at one minute (`at` None: the latest stored minute; tag None: the nearest)."""
    options = stored.options
    stamp = _pick_minute(options["timestamp"], stored.day, at)
    minute_rows = options[options["timestamp"] == stamp]
    tag = _pick_tag(minute_rows, expiry_tag)
    rows = minute_rows[minute_rows["expiry_tag"] == tag].drop_duplicates(["strike", "side"], keep="last")
    expiries = (
        minute_rows.drop_duplicates("expiry_tag")
        .assign(order=lambda f: f["expiry_tag"].map({t: i for i, t in enumerate(EXPIRY_TAGS)}))
        .sort_values("order")
    )
    listed = [{"tag": str(r.expiry_tag), "expiry": str(r.expiry)} for r in expiries.itertuples()]
    over = stored.overview[stored.overview["timestamp"] == stamp]
    return Selection(stored, stamp, tag, rows.sort_values("strike"), over.iloc[-1] if len(over) else None, listed)


def _header(sel: Selection) -> dict[str, Any]:
    first = sel.rows.iloc[0]
    sources = sorted({str(s) for s in sel.rows["source"].dropna()})
    lot = value(first["lot_size"])
    return {
        "index": sel.stored.index,
        "day": sel.stored.day.isoformat(),
        "minute": sel.timestamp.strftime("%H:%M"),
        "timestamp": sel.timestamp.isoformat(),
        "expiry_tag": sel.expiry_tag,
        "expiry": str(first["expiry"]),
        "expiries": sel.expiries,
        "spot": value(first["index_price"]),
        "forward": value(first["forward"]),
        "atm": value(first["atm"]),
        "lot_size": int(lot) if lot is not None else None,
        "sources": sources,
        "simulated": any(s in SIMULATED_SOURCES for s in sources),
    }


def _side(leg: pd.Series | None, itm: bool) -> dict[str, Any]:
    out: dict[str, Any] = {name: value(leg[column]) if leg is not None else None for name, column in SIDE_FIELDS}
    out["itm"] = itm
    return out


def _window(strikes: Sequence[float], atm: float | None, strikes_each_side: int | None) -> list[float]:
    if strikes_each_side is None or atm is None:
        return list(strikes)
    centre = min(range(len(strikes)), key=lambda i: abs(strikes[i] - atm))
    return list(strikes[max(0, centre - strikes_each_side) : centre + strikes_each_side + 1])


def _total(values: Iterable[float | None]) -> float | None:
    finite = [v for v in values if v is not None]
    return float(sum(finite)) if finite else None


def chain_view(sel: Selection, strikes_each_side: int | None = None) -> dict[str, Any]:
    """The chain table of a selection: `strikes_each_side` strikes below and above ATM (None: all stored)."""
    head = _header(sel)
    pivot = head["forward"] if head["forward"] is not None else head["spot"]
    max_pain = sel.tag_value("max_pain")
    legs = {(float(r["strike"]), str(r["side"])): r for _, r in sel.rows.iterrows()}
    strikes = sorted({strike for strike, _ in legs})
    rows = []
    for strike in _window(strikes, head["atm"], strikes_each_side):
        rows.append({
            "strike": strike,
            "atm": strike == head["atm"],
            "max_pain": strike == max_pain,
            "ce": _side(legs.get((strike, "CE")), pivot is not None and strike < pivot),
            "pe": _side(legs.get((strike, "PE")), pivot is not None and strike > pivot),
        })  # fmt: skip
    totals = {side: {name: _total(r[side][name] for r in rows) for name in ("oi", "oi_change", "volume")}
              for side in ("ce", "pe")}  # fmt: skip
    return {**head, "max_pain": max_pain, "pcr_oi": sel.tag_value("pcr"), "pcr_volume": sel.tag_value("pcr_volume"),
            "straddle": sel.tag_value("straddle"), "atm_iv": sel.tag_value("atm_iv"), "rows": rows,
            "totals": totals, **_rank_and_exposure(sel)}  # fmt: skip


def _rank_and_exposure(sel: Selection) -> dict[str, Any]:
    """The IV rank and percentile with what their history is, and the gamma and delta exposure in rupees."""
    return {name: sel.tag_value(name) for name in ("iv_rank", "iv_percentile", "iv_history", "gex", "dex")} | {
        "iv_history_source": sel.tag_text("iv_history_source")}


def _by_strike(rows: pd.DataFrame, side: str, column: str) -> dict[float, float | None]:
    part = rows[rows["side"] == side]
    return {float(k): value(v) for k, v in zip(part["strike"], part[column], strict=True)}


def _previous_close_smile(sel: Selection, expiry: str) -> dict[str, Any] | None:
    before = previous_day(sel.stored)
    if before is None:
        return None
    last = before.options[before.options["timestamp"] == before.options["timestamp"].max()]
    rows = last[last["expiry"].astype(str) == expiry].drop_duplicates(["strike", "side"], keep="last")
    if rows.empty:
        return None
    strikes = sorted({float(s) for s in rows["strike"]})
    ce, pe = _by_strike(rows, "CE", "iv"), _by_strike(rows, "PE", "iv")
    stamp = pd.Timestamp(rows["timestamp"].iloc[0])
    return {"day": before.day.isoformat(), "minute": stamp.strftime("%H:%M"), "strikes": strikes,
            "ce_iv": [ce.get(s) for s in strikes], "pe_iv": [pe.get(s) for s in strikes]}  # fmt: skip


def smile_view(sel: Selection) -> dict[str, Any]:
    """Call and put IV by strike of the selection, and the previous stored session's close smile (or None)."""
    head = _header(sel)
    strikes = sorted({float(s) for s in sel.rows["strike"]})
    ce, pe = _by_strike(sel.rows, "CE", "iv"), _by_strike(sel.rows, "PE", "iv")
    return {**head, "strikes": strikes, "ce_iv": [ce.get(s) for s in strikes], "pe_iv": [pe.get(s) for s in strikes],
            "atm_iv": sel.tag_value("atm_iv"), "previous_close": _previous_close_smile(sel, head["expiry"])}  # fmt: skip


def oi_view(sel: Selection) -> dict[str, Any]:
    """CE and PE OI by strike of the selection with their change since the previous session's close."""
    head = _header(sel)
    strikes = sorted({float(s) for s in sel.rows["strike"]})
    series = {f"{side.lower()}_{name}": _by_strike(sel.rows, side, name)
              for side in ("CE", "PE") for name in ("oi", "oi_change")}  # fmt: skip
    return {**head, "strikes": strikes, "max_pain": sel.tag_value("max_pain"),
            **{key: [by.get(s) for s in strikes] for key, by in series.items()}}  # fmt: skip


def _master_mean(stored: StoredDay, tag: str) -> dict[str, Any] | None:
    weekday = stored.day.weekday()
    try:
        master = read_weekday_master(stored.location, stored.index, tag, 0, weekday)
    except FileNotFoundError:
        return None
    ivs = master[["ce_iv_mean", "pe_iv_mean"]].astype(float).mean(axis=1, skipna=True)
    return {
        "weekday": stored.day.strftime("%A").lower(),
        "times": [str(t)[:5] for t in master["timestamp"]],
        "straddle": [value(v) for v in master["tp_mean"]],
        "atm_iv": [value(v) for v in ivs],
        "days": [int(c) for c in master["counter"]],
    }


def intraday_view(stored: StoredDay, expiry_tag: str | None = None) -> dict[str, Any]:
    """Per stored minute of the day: spot, PCR (OI, volume), ATM straddle and ATM IV of one expiry tag,
    with the weekday master's mean for the day's weekday behind the straddle and ATM IV (None when absent)."""
    over = stored.overview.sort_values("timestamp")
    tags = [t for t in EXPIRY_TAGS if f"expiry_{t}" in over and over[f"expiry_{t}"].notna().any()]
    tag = expiry_tag or (tags[0] if tags else None)
    if tag not in tags:
        raise ChainViewError("expiry", f"expiry {tag!r} is not stored on this day (stored: {', '.join(tags)})")
    stamps = pd.DatetimeIndex(over["timestamp"]).tz_convert(IST)

    def series(column: str) -> list[float | None]:
        return [value(v) for v in over[column]]

    return {
        "index": stored.index, "day": stored.day.isoformat(), "expiry_tag": tag,
        "times": [t.strftime("%H:%M") for t in stamps],
        "spot": series("index_price"), "pcr_oi": series(f"pcr_{tag}"), "pcr_volume": series(f"pcr_volume_{tag}"),
        "straddle": series(f"straddle_{tag}"), "atm_iv": series(f"atm_iv_{tag}"),
        "master": _master_mean(stored, tag),
    }  # fmt: skip
