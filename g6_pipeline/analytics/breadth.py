"""Market breadth across indices for one minute: which option legs are up, which are down, where the OI is.

A leg advances when its last price is above the previous session's close and declines when below
(legs without both prices are neither). Per index: advancing, declining and unchanged legs, total CE and
PE OI and their ratio, the index price and its change; a final "ALL" row adds the indices up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from g6_pipeline.analytics.positioning import ratio
from g6_pipeline.snapshot import EnrichedChain

BREADTH_COLUMNS: tuple[str, ...] = (
    "index", "advancing", "declining", "unchanged", "ce_oi", "pe_oi", "pcr", "index_price", "index_net_change",
)
TOTAL = "ALL"


def _oi_total(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.sum()) if finite.size else math.nan


def market_breadth(chains: Sequence[EnrichedChain]) -> pd.DataFrame:
    """One row per index (in the given order) plus an "ALL" row; columns `BREADTH_COLUMNS`."""
    rows: list[dict[str, object]] = []
    for chain in chains:
        options = chain.options
        move = options["last_price"].to_numpy(dtype=np.float64) - options["prev_close"].to_numpy(dtype=np.float64)
        calls = options["side"].to_numpy() == "CE"
        oi = options["oi"].to_numpy(dtype=np.float64)
        ce_oi, pe_oi = _oi_total(oi[calls]), _oi_total(oi[~calls])
        rows.append(
            {
                "index": chain.index,
                "advancing": int(np.count_nonzero(move > 0)),
                "declining": int(np.count_nonzero(move < 0)),
                "unchanged": int(np.count_nonzero(move == 0)),
                "ce_oi": ce_oi,
                "pe_oi": pe_oi,
                "pcr": ratio(pe_oi, ce_oi),
                "index_price": float(chain.overview.get("index_price", math.nan)),
                "index_net_change": float(chain.overview.get("index_net_change", math.nan)),
            }
        )
    frame = pd.DataFrame(rows, columns=list(BREADTH_COLUMNS))
    ce_total = float(frame["ce_oi"].sum(min_count=1))
    pe_total = float(frame["pe_oi"].sum(min_count=1))
    total = {
        "index": TOTAL,
        "advancing": int(frame["advancing"].sum()),
        "declining": int(frame["declining"].sum()),
        "unchanged": int(frame["unchanged"].sum()),
        "ce_oi": ce_total,
        "pe_oi": pe_total,
        "pcr": ratio(pe_total, ce_total),
        "index_price": math.nan,
        "index_net_change": math.nan,
    }
    frame = pd.concat([frame, pd.DataFrame([total], columns=list(BREADTH_COLUMNS))], ignore_index=True)
    return frame.astype({"advancing": np.int64, "declining": np.int64, "unchanged": np.int64})
