"""Full-chain PCR and max pain in the overview: over every listed strike when the chain was quoted, else the window."""

from __future__ import annotations

import pandas as pd
import pytest

from g6_pipeline.analytics import enrich
from g6_pipeline.core.snapshot import CHAIN_COLUMNS
from g6_pipeline_tests.analytics.chains import priced_chain, snapshot
from g6_pipeline_tests.analytics.test_enrich import FORWARD, RATE, SPOT, T_YEARS, _vol

WINDOW = [23_900.0, 24_000.0, 24_100.0]
# far strikes carry most of the OI, so the full chain and the window disagree
CHAIN = {  # strike: (CE OI, PE OI, CE volume, PE volume)
    23_500.0: (10.0, 900.0, 1.0, 40.0),
    23_900.0: (1000.0, 1000.0, 500.0, 500.0),
    24_000.0: (1000.0, 1000.0, 500.0, 500.0),
    24_100.0: (1000.0, 1000.0, 500.0, 500.0),
    24_600.0: (700.0, 5.0, 30.0, 2.0),
}


def _chain() -> pd.DataFrame:
    rows = [
        {"expiry_tag": "this_week", "strike": k, "side": side, "oi": v[0 if side == "CE" else 1],
         "volume": v[2 if side == "CE" else 3]}
        for k, v in CHAIN.items() for side in ("CE", "PE")
    ]
    return pd.DataFrame(rows, columns=list(CHAIN_COLUMNS))


def _max_pain_by_hand() -> float:
    payout = {
        s: sum(ce * max(s - k, 0) + pe * max(k - s, 0) for k, (ce, pe, _, _) in CHAIN.items()) for s in CHAIN
    }
    return min(payout, key=lambda s: (payout[s], s))


def test_full_chain_figures_cover_every_listed_strike() -> None:
    legs = priced_chain(FORWARD, WINDOW, T_YEARS, RATE, _vol)
    row = enrich(snapshot(legs, spot=SPOT, chain=_chain()), RATE).overview
    ce_oi = sum(v[0] for v in CHAIN.values())
    pe_oi = sum(v[1] for v in CHAIN.values())
    assert row["pcr_scope_this_week"] == "full"
    assert row["chain_pcr_this_week"] == pytest.approx(pe_oi / ce_oi)
    assert row["chain_pcr_volume_this_week"] == pytest.approx(1542 / 1531)
    assert row["chain_max_pain_this_week"] == _max_pain_by_hand() == 24_000.0
    assert row["pcr_this_week"] == pytest.approx(1.0)  # the window's own PCR is unchanged (1000 OI each leg)


def test_without_the_chain_the_window_is_used_and_said() -> None:
    legs = priced_chain(FORWARD, WINDOW, T_YEARS, RATE, _vol)
    row = enrich(snapshot(legs, spot=SPOT), RATE).overview
    assert row["pcr_scope_this_week"] == "window"
    assert row["chain_pcr_this_week"] == row["pcr_this_week"] == pytest.approx(1.0)
    assert row["chain_max_pain_this_week"] == row["max_pain_this_week"]
    assert row["pcr_scope_next_week"] == ""  # a tag not collected
