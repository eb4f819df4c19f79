"""The one columnar schema of G6's data: option rows and the per-minute overview.

Every sink maps from these (Parquet stores them as they are, the classic CSV and InfluxDB rename). Units:
prices in index points (rupees), `volume` and `oi` in units (not lots), `iv` a fraction (0.15 = 15 %),
Greeks in trader conventions (delta per point, gamma per point, vega per 1 vol point, theta per calendar
day, rho per 1 % of rate). Timestamps are tz-aware Asia/Kolkata, one per collection minute.
"""

from __future__ import annotations

import pyarrow as pa

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.vocabulary import (  # noqa: F401  (re-exported beside the schema that uses them)
    BUILDUP_LABELS,
    CLOSE_OF_DAY_SOURCES,
    EXPIRY_TAGS,
    IV_HISTORY_SOURCES,
    IV_RANK_STATUSES,
    IV_STATUSES,
    MINUTE_KINDS,
    PCR_SCOPES,
    REPAIR_SOURCE,
    REPAIRED_SOURCES,
    SIMULATED_SOURCES,
    SOURCES,
    ExpiryTag,
)

TIMESTAMP = pa.timestamp("s", tz=MARKET_TZ_NAME)
FETCHED_AT = pa.timestamp("ms", tz=MARKET_TZ_NAME)
"""When the quotes behind a row were received: to the millisecond, so a late fetch is visible."""
EXCHANGE_TIME = pa.timestamp("ms", tz=MARKET_TZ_NAME)
"""A time the exchange put on a quote (Kite's `timestamp` and `last_trade_time`: whole seconds; milliseconds
are Parquet's own unit, so the type reads back as written)."""

OPTION_SCHEMA = pa.schema(
    [
        ("timestamp", TIMESTAMP),
        ("index", pa.string()),
        ("expiry", pa.date32()),
        ("expiry_tag", pa.string()),
        ("strike", pa.float64()),
        ("offset", pa.int32()),  # strike − atm of its expiry, index points
        ("side", pa.string()),  # CE / PE
        ("instrument_token", pa.int64()),
        ("tradingsymbol", pa.string()),
        ("lot_size", pa.int32()),
        ("last_price", pa.float64()),
        ("bid", pa.float64()),
        ("ask", pa.float64()),
        ("bid_qty", pa.float64()),
        ("ask_qty", pa.float64()),
        ("volume", pa.float64()),
        ("oi", pa.float64()),
        ("average_price", pa.float64()),
        ("prev_close", pa.float64()),
        ("oi_change", pa.float64()),  # vs the previous session's closing snapshot; NaN when unknown
        ("buildup", pa.string()),  # one of BUILDUP_LABELS
        ("index_price", pa.float64()),
        ("forward", pa.float64()),  # synthetic forward of this expiry (Black-76 underlying)
        ("atm", pa.float64()),  # ATM strike of this expiry
        ("t_years", pa.float64()),  # ACT/365 to 15:30 IST on the expiry date
        ("iv", pa.float64()),
        ("iv_status", pa.string()),  # one of IV_STATUSES
        ("delta", pa.float64()),
        ("gamma", pa.float64()),
        ("vega", pa.float64()),
        ("theta", pa.float64()),
        ("rho", pa.float64()),
        ("source", pa.string()),  # one of SOURCES
        ("fetched_at", FETCHED_AT),
        ("exchange_timestamp", EXCHANGE_TIME),  # the exchange's time of the quote; null when it carried none
        ("last_trade_time", EXCHANGE_TIME),  # the exchange's time of the leg's last trade; null when none
        ("stale", pa.bool_()),  # the quote had not advanced for alerts.quote_stale_seconds; null when unknown
    ]
)
OPTION_COLUMNS: tuple[str, ...] = tuple(OPTION_SCHEMA.names)

PER_TAG_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    # one column `<name>_<tag>` of the overview per expiry tag
    ("expiry", pa.date32()),
    ("forward", pa.float64()),
    ("atm", pa.float64()),
    ("pcr", pa.float64()),  # ΣPE OI ÷ ΣCE OI over the collected strikes (the original's name)
    ("pcr_volume", pa.float64()),  # ΣPE volume ÷ ΣCE volume
    ("max_pain", pa.float64()),
    ("straddle", pa.float64()),  # ATM ce + pe (tp)
    ("straddle_day_change", pa.float64()),  # vs today's first straddle of this tag
    ("straddle_net_change", pa.float64()),  # vs the previous session's last straddle of this tag
    ("atm_iv", pa.float64()),
    ("rr25", pa.float64()),  # 25-delta risk reversal: IV(25Δ call) − IV(25Δ put)
    ("bf25", pa.float64()),  # 25-delta butterfly: (IV(25Δ call) + IV(25Δ put)) / 2 − ATM IV
    ("ce_oi", pa.float64()),
    ("pe_oi", pa.float64()),
    ("chain_pcr", pa.float64()),  # ΣPE OI ÷ ΣCE OI over every listed strike of the expiry (see pcr_scope)
    ("chain_pcr_volume", pa.float64()),  # the same with volume
    ("chain_max_pain", pa.float64()),  # max pain over every listed strike (see pcr_scope)
    ("pcr_scope", pa.string()),  # one of PCR_SCOPES: what the chain_ figures cover ('' when not collected)
    ("iv_rank", pa.float64()),  # 0-100: ATM IV between the low and high of the trailing daily closes
    ("iv_percentile", pa.float64()),  # 0-100: share of the trailing daily closes below today's ATM IV
    ("iv_rank_status", pa.string()),  # one of IV_RANK_STATUSES: why iv_rank/iv_percentile are what they are
    ("iv_history", pa.int32()),  # daily closes in the trailing period (at most 252 sessions)
)

ADDED_TAG_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    # per expiry tag, added after files were first written: at the end of the overview, `<name>_<tag>`
    ("iv_history_source", pa.string()),  # one of IV_HISTORY_SOURCES: what the IV rank's daily closes are
    ("gex", pa.float64()),  # gamma exposure, rupees per 1 % index rise: Σ s·Γ·OI·S²/100 (analytics.exposure)
    ("dex", pa.float64()),  # delta exposure, rupees: Σ s·Δ·OI·S over the stored strikes (analytics.exposure)
)
ADDED_TAG_COLUMNS: tuple[str, ...] = tuple(f"{name}_{tag}" for name, _ in ADDED_TAG_FIELDS for tag in EXPIRY_TAGS)

OVERVIEW_SCHEMA = pa.schema(
    [
        ("timestamp", TIMESTAMP),
        ("index", pa.string()),
        ("index_price", pa.float64()),
        ("index_prev_close", pa.float64()),
        ("index_net_change", pa.float64()),  # vs the previous session's close
        ("index_day_change", pa.float64()),  # vs today's first collected price
        ("day_high", pa.float64()),
        ("day_low", pa.float64()),
        ("day_width", pa.float64()),  # day_high − day_low
        ("vix", pa.float64()),
        *[(f"{name}_{tag}", dtype) for tag in EXPIRY_TAGS for name, dtype in PER_TAG_FIELDS],
        ("expiries_expected", pa.int32()),
        ("expiries_collected", pa.int32()),
        ("expected_mask", pa.int32()),  # bits: this_week 1, next_week 2, this_month 4, next_month 8
        ("collected_mask", pa.int32()),
        ("missing_mask", pa.int32()),
        ("legs_expected", pa.int32()),
        ("legs_collected", pa.int32()),
        ("legs_missing", pa.int32()),
        ("iv_failures", pa.int32()),  # legs with a quote but no finite IV
        ("source", pa.string()),  # one of SOURCES
        ("fetched_at", FETCHED_AT),
        ("exchange_timestamp", EXCHANGE_TIME),  # the exchange's time of the index quote; null when unknown
        ("quote_age_seconds", pa.float64()),  # how long the index's quotes had not advanced (see freshness)
        ("stale", pa.bool_()),  # quote_age_seconds above alerts.quote_stale_seconds; null when unknown
        ("legs_stale", pa.int32()),  # legs whose own quote was stale
        *[(f"{name}_{tag}", dtype) for name, dtype in ADDED_TAG_FIELDS for tag in EXPIRY_TAGS],
    ]
)
OVERVIEW_COLUMNS: tuple[str, ...] = tuple(OVERVIEW_SCHEMA.names)

ADDED_COLUMNS: dict[str, tuple[str, ...]] = {
    "options": ("exchange_timestamp", "last_trade_time", "stale"),
    "overview": ("exchange_timestamp", "quote_age_seconds", "stale", "legs_stale", *ADDED_TAG_COLUMNS),
}
"""Columns added to each table after files were first written: a file without them reads them as nulls."""

TAG_BITS: dict[str, int] = {tag: 1 << i for i, tag in enumerate(EXPIRY_TAGS)}
"""Expiry tag → its bit in the overview masks."""

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "source": SOURCES,
    "iv_status": IV_STATUSES,
    "buildup": BUILDUP_LABELS,
    **{f"pcr_scope_{tag}": (*PCR_SCOPES, "") for tag in EXPIRY_TAGS},
    **{f"iv_rank_status_{tag}": (*IV_RANK_STATUSES, "") for tag in EXPIRY_TAGS},
    **{f"iv_history_source_{tag}": (*IV_HISTORY_SOURCES, "") for tag in EXPIRY_TAGS},
}
"""The string columns of both tables that hold a word of a vocabulary ('' where a tag was not collected); a
null is always allowed (rows written before the column existed)."""


def unknown_words(table: pa.Table) -> dict[str, list[str]]:
    """Per vocabulary column of `table`, the values that are not words of its vocabulary (empty: all known)."""
    out = {}
    for column, words in VOCABULARIES.items():
        if column in table.column_names:
            seen = {v for v in table.column(column).unique().to_pylist() if v is not None}
            unknown = sorted(seen - set(words))
            if unknown:
                out[column] = unknown
    return out
