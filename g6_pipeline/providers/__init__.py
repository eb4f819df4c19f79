"""Market-data providers: `kite` (Kite Connect), `synthetic` (simulated market, the default) and `mock`."""

from g6_pipeline.providers.base import (
    CircuitOpenError,
    FetchResult,
    Provider,
    ProviderError,
    TokenExpiredError,
)
from g6_pipeline.providers.chain import ChainProvider, parse_quote
from g6_pipeline.providers.factory import make_provider

__all__ = [
    "ChainProvider",
    "CircuitOpenError",
    "FetchResult",
    "Provider",
    "ProviderError",
    "TokenExpiredError",
    "make_provider",
    "parse_quote",
]
