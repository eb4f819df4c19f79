"""Option analytics: prices, implied volatility, Greeks, time to expiry and option-chain analytics.

The numeric core (`black`, `iv`, `greeks`, `year_fraction`) and the chain analytics are numpy over
arrays; `enrich` turns a `ChainSnapshot` into an `EnrichedChain`.
"""

from g6_pipeline.analytics.black import black76_price, bs_price
from g6_pipeline.analytics.enrich import enrich, enrich_many
from g6_pipeline.analytics.expiry_figures import ExpiryAnalytics
from g6_pipeline.analytics.expiry_time import expiry_datetime, year_fraction
from g6_pipeline.analytics.forward import ForwardEstimate
from g6_pipeline.analytics.iv import (
    IVStatus,
    implied_vol,
    implied_vol_black76,
    implied_vol_black76_with_status,
    implied_vol_with_status,
)
from g6_pipeline.analytics.positioning import buildup_labels
from g6_pipeline.analytics.sensitivities import Greeks, greeks, implied_dividend_yield
from g6_pipeline.analytics.smile import iv_at_delta, risk_reversal_butterfly

__all__ = [
    "ExpiryAnalytics",
    "ForwardEstimate",
    "Greeks",
    "IVStatus",
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
    "risk_reversal_butterfly",
    "year_fraction",
]
