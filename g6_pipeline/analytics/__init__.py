"""Option analytics: prices, implied volatility, Greeks, time to expiry and option-chain analytics.

The numeric core (this package's top level) is pure numpy over broadcast arrays: no pandas, no Dagster.
"""

from g6_pipeline.analytics.black import bs_price
from g6_pipeline.analytics.greeks import Greeks, greeks
from g6_pipeline.analytics.iv import IV_STATUS_NAMES, IVStatus, implied_vol, implied_vol_with_status
from g6_pipeline.analytics.year_fraction import year_fraction

__all__ = [
    "IV_STATUS_NAMES",
    "Greeks",
    "IVStatus",
    "bs_price",
    "greeks",
    "implied_vol",
    "implied_vol_with_status",
    "year_fraction",
]
