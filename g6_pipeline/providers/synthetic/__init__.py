"""The simulated market (the default provider's data source)."""

from g6_pipeline.providers.synthetic.contracts import listed_expiries, tradingsymbol
from g6_pipeline.providers.synthetic.market import SyntheticMarket
from g6_pipeline.providers.synthetic.specs import SPECS, IndexSpec

__all__ = ["SPECS", "IndexSpec", "SyntheticMarket", "listed_expiries", "tradingsymbol"]
