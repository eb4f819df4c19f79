"""Option analytics: prices, implied volatility, Greeks, time to expiry and option-chain analytics.

The numeric core (`black`, `iv`, `greeks`, `year_fraction`) is pure numpy over broadcast arrays; the
chain analytics take pandas frames of legs; `enrich` turns a `ChainSnapshot` into an `EnrichedChain`.
"""

from g6_pipeline.analytics.black import black76_price, bs_price
from g6_pipeline.analytics.breadth import market_breadth
from g6_pipeline.analytics.enrich import ExpiryAnalytics, enrich, enrich_many
from g6_pipeline.analytics.expiry_time import expiry_datetime, year_fraction
from g6_pipeline.analytics.forward import ForwardEstimate, synthetic_forward
from g6_pipeline.analytics.iv import (
    IV_STATUS_NAMES,
    IVStatus,
    implied_vol,
    implied_vol_black76,
    implied_vol_black76_with_status,
    implied_vol_with_status,
)
from g6_pipeline.analytics.positioning import (
    buildup_labels,
    max_pain,
    oi_change,
    price_change,
    put_call_ratio,
    put_call_ratio_by_strike,
)
from g6_pipeline.analytics.sensitivities import Greeks, greeks, implied_dividend_yield
from g6_pipeline.analytics.smile import iv_at_delta, iv_smile, risk_reversal_butterfly, vol_surface
from g6_pipeline.analytics.straddle import atm_straddle

__all__ = [
    "IV_STATUS_NAMES",
    "ExpiryAnalytics",
    "ForwardEstimate",
    "Greeks",
    "IVStatus",
    "atm_straddle",
    "black76_price",
    "bs_price",
    "buildup_labels",
    "enrich",
    "enrich_many",
    "expiry_datetime",
    "greeks",
    "implied_dividend_yield",
    "implied_vol",
    "implied_vol_black76",
    "implied_vol_black76_with_status",
    "implied_vol_with_status",
    "iv_at_delta",
    "iv_smile",
    "market_breadth",
    "max_pain",
    "oi_change",
    "price_change",
    "put_call_ratio",
    "put_call_ratio_by_strike",
    "risk_reversal_butterfly",
    "synthetic_forward",
    "vol_surface",
    "year_fraction",
]
