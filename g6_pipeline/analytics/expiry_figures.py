"""The per-tag figures of one minute's overview row: `ExpiryAnalytics`, one per expiry tag (`enrich`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from g6_pipeline.analytics.forward import ForwardEstimate
from g6_pipeline.analytics.full_chain import ChainTotals
from g6_pipeline.analytics.iv_rank import IVRank


@dataclass(frozen=True)
class ExpiryAnalytics:
    """The per-tag numbers of the overview row for one expiry."""

    tag: str
    expiry: date | None
    t_years: float
    forward: ForwardEstimate
    pcr: float
    pcr_volume: float
    max_pain: float
    straddle: float
    straddle_day_change: float
    straddle_net_change: float
    atm_iv: float
    rr25: float
    bf25: float
    ce_oi: float
    pe_oi: float
    chain: ChainTotals
    iv_rank: IVRank
    iv_history_source: str
    gex: float
    dex: float

    def overview_fields(self) -> dict[str, Any]:
        """The `<name>_<tag>` overview columns of this expiry."""
        values: dict[str, Any] = {
            "expiry": self.expiry,
            "forward": self.forward.forward,
            "atm": self.forward.atm,
            "pcr": self.pcr,
            "pcr_volume": self.pcr_volume,
            "max_pain": self.max_pain,
            "straddle": self.straddle,
            "straddle_day_change": self.straddle_day_change,
            "straddle_net_change": self.straddle_net_change,
            "atm_iv": self.atm_iv,
            "rr25": self.rr25,
            "bf25": self.bf25,
            "ce_oi": self.ce_oi,
            "pe_oi": self.pe_oi,
            "chain_pcr": self.chain.pcr,
            "chain_pcr_volume": self.chain.pcr_volume,
            "chain_max_pain": self.chain.max_pain,
            "pcr_scope": self.chain.scope,
            "iv_rank": self.iv_rank.rank,
            "iv_percentile": self.iv_rank.percentile,
            "iv_rank_status": self.iv_rank.status,
            "iv_history": self.iv_rank.sessions,
            "iv_history_source": self.iv_history_source,
            "gex": self.gex,
            "dex": self.dex,
        }
        return {f"{name}_{self.tag}": value for name, value in values.items()}
