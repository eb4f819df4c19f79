"""Exposure and term structure on the chain screen.

- `exposure_view` (`/api/exposure`): gamma and delta exposure by strike of one expiry at one minute and in
  total (`analytics.exposure`: Greeks × OI, OI already in units so no lot size; conventional signs, calls +1
  and puts −1, the exposure of dealers long the calls and short the puts), with the day's totals per minute
  from the overview (`gex_<tag>`, `dex_<tag>`) at every stored minute of the day (as the intraday charts).
- `term_view` (`/api/term`): the ATM IV of every expiry at one minute, nearest first: each expiry the minute
  stored (an expiry under two tags once, its ATM IV the overview's), then every other expiry the day's archived
  instrument list names for the index, listed with no ATM IV (not collected).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import pandas as pd

from g6_pipeline.analytics.exposure import exposure_by_strike, exposure_totals
from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.instruments.dump import OPTION_SEGMENTS
from g6_pipeline.live.chain_view import Selection, StoredDay, value
from g6_pipeline.storage.instrument_archive import load_archived_dump

CONVENTION = ("conventional: calls +1, puts −1 (dealers long the calls and short the puts the market holds); "
              "positive gamma: dealers trade against moves")
"""How the exposure's sign reads, for the page and the API."""


def exposure_view(sel: Selection) -> dict[str, Any]:
    """Gamma and delta exposure by strike of the selection, its totals, and the day's totals per minute."""
    by_strike = exposure_by_strike(sel.rows)
    totals = exposure_totals(by_strike) if len(by_strike) else None
    over = sel.stored.overview.sort_values("timestamp")
    tag = sel.expiry_tag

    def series(column: str) -> list[float | None]:
        return [value(v) for v in over[column]] if column in over else [None] * len(over)

    first = sel.rows.iloc[0]
    return {
        "index": sel.stored.index, "day": sel.stored.day.isoformat(), "minute": sel.timestamp.strftime("%H:%M"),
        "expiry_tag": tag, "expiry": str(first["expiry"]), "spot": value(first["index_price"]),
        "atm": value(first["atm"]), "convention": CONVENTION,
        "strikes": [float(k) for k in by_strike["strike"]],
        **{name: [value(v) for v in by_strike[name]] for name in
           ("gamma", "gamma_rupees", "call_gamma", "put_gamma", "delta", "delta_rupees")},
        "totals": {k: value(v) if k != "legs_unpriced" else int(v) for k, v in asdict(totals).items()}
        if totals is not None else None,
        "intraday": {"times": [pd.Timestamp(t).tz_convert(IST).strftime("%H:%M") for t in over["timestamp"]],
                     "gex": series(f"gex_{tag}"), "dex": series(f"dex_{tag}")},
    }  # fmt: skip


def _listed_expiries(stored: StoredDay) -> list[date]:
    """The expiries of the index's options in the day's archived instrument list (empty when none is archived)."""
    for exchange, segment in OPTION_SEGMENTS.items():
        try:
            dump = load_archived_dump(stored.location, exchange, stored.day)
        except (FileNotFoundError, OSError, ValueError):
            continue
        options = dump.loc[(dump["name"] == stored.index) & (dump["segment"] == segment)]
        if len(options):
            return sorted({e for e in options["expiry"] if e is not None and e >= stored.day})
    return []


def term_view(sel: Selection) -> dict[str, Any]:
    """The ATM IV of every expiry at the selection's minute (see the module docstring)."""
    stored = sel.stored
    minute = stored.options.loc[stored.options["timestamp"] == sel.timestamp]
    points: dict[date, dict[str, Any]] = {}
    order = {t: i for i, t in enumerate(EXPIRY_TAGS)}
    for tag in sorted(set(minute["expiry_tag"]), key=lambda t: order.get(t, len(order))):
        rows = minute.loc[minute["expiry_tag"] == tag]
        expiry = rows["expiry"].iloc[0]
        if expiry in points:
            points[expiry]["tags"].append(tag)
            continue
        over = sel.overview
        points[expiry] = {
            "expiry": str(expiry), "tags": [tag], "days": (expiry - stored.day).days, "collected": True,
            "atm_iv": value(over.get(f"atm_iv_{tag}")) if over is not None else None,
            "atm": value(rows["atm"].iloc[0]), "forward": value(rows["forward"].iloc[0]),
        }
    for expiry in _listed_expiries(stored):
        if expiry not in points:
            points[expiry] = {"expiry": str(expiry), "tags": [], "days": (expiry - stored.day).days,
                              "collected": False, "atm_iv": None, "atm": None, "forward": None}
    ordered = [points[e] for e in sorted(points)]
    return {"index": stored.index, "day": stored.day.isoformat(), "minute": sel.timestamp.strftime("%H:%M"),
            "expiries": ordered}
