"""Market breadth across indices for one minute: which option legs are up, which are down, where the OI is.

A leg advances when its last price is above the previous session's close and declines when below
(legs without both prices are neither). Per index: advancing, declining and unchanged legs, total CE and
PE OI and their ratio, the index price and its change; a final "ALL" row adds the indices up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.analytics.positioning import ratio
from g6_pipeline.core.snapshot import EnrichedChain

BREADTH_COLUMNS: tuple[str, ...] = (
    "index", "advancing", "declining", "unchanged", "ce_oi", "pe_oi", "pcr", "index_price", "index_net_change",
)
TOTAL = "ALL"
_COUNTS = ("advancing", "declining", "unchanged")


def _oi_total(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.sum()) if finite.size else math.nan


def market_breadth(chains: Sequence[EnrichedChain]) -> pd.DataFrame:
    """One row per index (in the given order) plus an "ALL" row; columns `BREADTH_COLUMNS`."""
    table: dict[str, list[Any]] = {name: [] for name in BREADTH_COLUMNS}
    for chain in chains:
        options = chain.options
        move = options["last_price"].to_numpy(dtype=np.float64) - options["prev_close"].to_numpy(dtype=np.float64)
        calls = options["side"].to_numpy() == "CE"
        oi = options["oi"].to_numpy(dtype=np.float64)
        ce_oi, pe_oi = _oi_total(oi[calls]), _oi_total(oi[~calls])
        row = (
            chain.index, int(np.count_nonzero(move > 0)), int(np.count_nonzero(move < 0)),
            int(np.count_nonzero(move == 0)), ce_oi, pe_oi, ratio(pe_oi, ce_oi),
            float(chain.overview.get("index_price", math.nan)), float(chain.overview.get("index_net_change", math.nan)),
        )
        for name, value in zip(BREADTH_COLUMNS, row, strict=True):
            table[name].append(value)
    ce_total = _oi_total(np.array(table["ce_oi"], dtype=np.float64))
    pe_total = _oi_total(np.array(table["pe_oi"], dtype=np.float64))
    total = (
        TOTAL, sum(table["advancing"]), sum(table["declining"]), sum(table["unchanged"]), ce_total, pe_total,
        ratio(pe_total, ce_total), math.nan, math.nan,
    )
    for name, value in zip(BREADTH_COLUMNS, total, strict=True):
        table[name].append(value)
    return pd.DataFrame(
        {
            name: np.array(values, dtype=object if name == "index" else np.int64 if name in _COUNTS else np.float64)
            for name, values in table.items()
        }
    )
