"""The simulated market (the default provider's data source)."""

from g6_pipeline.providers.synthetic.contracts import SPECS, IndexSpec, listed_expiries, tradingsymbol
from g6_pipeline.providers.synthetic.market import SyntheticMarket

__all__ = ["SPECS", "IndexSpec", "SyntheticMarket", "listed_expiries", "tradingsymbol"]
