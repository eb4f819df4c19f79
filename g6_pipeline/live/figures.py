"""The figures the live views read out of an index's overview: index level and per expiry tag.

Values are taken as they are; a missing or non-finite value is None (shown as a dash), never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.settings.model import Settings
from g6_pipeline.util.numeric import finite_or_none

TAG_FIELDS: tuple[str, ...] = (
    "expiry",
    "atm",
    "forward",
    "pcr",
    "pcr_volume",
    "max_pain",
    "straddle",
    "straddle_day_change",
    "straddle_net_change",
    "atm_iv",
    "rr25",
    "bf25",
    "ce_oi",
    "pe_oi",
    "iv_rank",
    "iv_percentile",
    "iv_history",
    "iv_history_source",
    "gex",
    "dex",
)
"""Per-tag overview fields shown by the live views (a subset of `schema.OVERVIEW_SCHEMA`)."""
TEXT_FIELDS: frozenset[str] = frozenset({"iv_history_source"})
"""Per-tag fields that are words, not numbers ('' or missing: None)."""

INDEX_FIELDS: tuple[str, ...] = (
    "index_price",
    "index_prev_close",
    "index_net_change",
    "index_day_change",
    "day_high",
    "day_low",
    "day_width",
    "vix",
)
"""Index-level overview fields shown by the live views."""


def tags_for(settings: Settings, index: str) -> Sequence[str]:
    """The expiry tags configured for `index`, nearest first (every tag when the index is not configured)."""
    configured = settings.indices.get(index)
    if configured is None:
        return EXPIRY_TAGS
    return [t for t in EXPIRY_TAGS if t in configured.expiry_tags]


def tag_figures(overview: Mapping[str, Any], tag: str) -> dict[str, Any]:
    """The per-tag figures of one expiry, plus `max_pain_distance` (max pain − index price, in points)."""
    out: dict[str, Any] = {}
    for name in TAG_FIELDS:
        raw = overview.get(f"{name}_{tag}")
        if name == "expiry":
            out[name] = _iso(raw)
        elif name in TEXT_FIELDS:
            out[name] = raw if isinstance(raw, str) and raw else None
        else:
            out[name] = finite_or_none(raw)
    price = finite_or_none(overview.get("index_price"))
    pain = out["max_pain"]
    out["max_pain_distance"] = pain - price if pain is not None and price is not None else None
    return out


def index_figures(overview: Mapping[str, Any]) -> dict[str, float | None]:
    """The index-level figures."""
    return {name: finite_or_none(overview.get(name)) for name in INDEX_FIELDS}


def collected_tags(overview: Mapping[str, Any], tags: Sequence[str]) -> list[str]:
    """The tags among `tags` for which this overview has any figure at all, in order."""
    found = []
    for tag in tags:
        figures = tag_figures(overview, tag)
        if any(figures[k] is not None for k in ("pcr", "straddle", "atm_iv", "max_pain", "atm")):
            found.append(tag)
    return found


def _iso(value: Any) -> str | None:
    if value is None or value != value:  # None, NaN, NaT
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    return text or None
