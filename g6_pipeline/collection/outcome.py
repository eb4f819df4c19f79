"""The status of one index's chain in one cycle, decided from what was quoted and what carried a price.

`failed` when no leg has a price (whatever was quoted), `degraded` when some legs are missing or
unpriced, `ok` when every requested leg was quoted with a price. Pure, so the rule is tested on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from g6_pipeline.core.report import IndexStatus


def priced_legs(legs: pd.DataFrame) -> int:
    """Legs with a price: a positive finite last price, or a positive finite bid and ask."""
    if legs.empty:
        return 0

    def positive(column: str) -> np.ndarray:
        values = pd.to_numeric(legs[column], errors="coerce").to_numpy(dtype="float64")
        return np.isfinite(values) & (values > 0)

    return int((positive("last_price") | (positive("bid") & positive("ask"))).sum())


def chain_status(requested: int, quoted: int, priced: int) -> tuple[IndexStatus, str | None]:
    """(status, reason) for a chain with `requested` legs asked for, `quoted` answered and `priced` priced."""
    missing = max(requested - quoted, 0)
    unpriced = max(quoted - priced, 0)
    if priced == 0:
        return "failed", f"no leg priced: {quoted} of {requested} legs quoted, none with a price"
    if missing == 0 and unpriced == 0:
        return "ok", None
    parts = [f"{missing} legs not quoted"] if missing else []
    parts += [f"{unpriced} legs without a price"] if unpriced else []
    return "degraded", ", ".join(parts)
