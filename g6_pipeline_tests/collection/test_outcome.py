"""An index's status: failed with no priced leg, degraded when legs are missing or unpriced."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

import pytest

from g6_pipeline.collection.cycle import CycleState, build_report
from g6_pipeline.collection.outcome import chain_status, priced_legs
from g6_pipeline.core.clock import IST
from g6_pipeline_tests.fakes.chains import make_chain

MINUTE = datetime(2026, 11, 23, 11, 30, tzinfo=IST)


@pytest.mark.parametrize(
    ("requested", "quoted", "priced", "status", "words"),
    [
        (28, 28, 28, "ok", None),
        (28, 28, 0, "failed", "no leg priced: 28 of 28 legs quoted, none with a price"),
        (28, 0, 0, "failed", "no leg priced: 0 of 28 legs quoted"),
        (0, 0, 0, "failed", "no leg priced"),
        (28, 26, 26, "degraded", "2 legs not quoted"),
        (28, 28, 25, "degraded", "3 legs without a price"),
        (28, 26, 20, "degraded", "2 legs not quoted, 6 legs without a price"),
    ],
)
def test_chain_status(requested: int, quoted: int, priced: int, status: str, words: str | None) -> None:
    got, why = chain_status(requested, quoted, priced)
    assert got == status
    assert why == words if words is None else (why is not None and why.startswith(words))


def _state_with_prices(price: float, bid: float, ask: float) -> CycleState:
    chain = make_chain("NIFTY", MINUTE)
    legs = chain.snapshot.legs.assign(last_price=price, bid=bid, ask=ask)
    snap = dataclasses.replace(chain.snapshot, legs=legs)
    state = CycleState(minute=MINUTE, started_at=MINUTE, provider="test")
    state.snapshots["NIFTY"] = snap
    state.chains["NIFTY"] = dataclasses.replace(chain, snapshot=snap)
    return state


def test_a_chain_with_no_priced_leg_is_failed_not_ok() -> None:
    report = build_report(_state_with_prices(math.nan, 0.0, math.nan))
    outcome = report.indices["NIFTY"]
    assert outcome.status == "failed" and outcome.error is not None and "no leg priced" in outcome.error
    assert not report.ok


def test_bid_and_ask_count_as_a_price() -> None:
    legs = _state_with_prices(0.0, 10.0, 11.0).snapshots["NIFTY"].legs
    assert priced_legs(legs) == len(legs)
    assert build_report(_state_with_prices(0.0, 10.0, 11.0)).indices["NIFTY"].status == "ok"


def test_some_unpriced_legs_degrade_the_chain() -> None:
    state = _state_with_prices(100.0, math.nan, math.nan)
    snap = state.snapshots["NIFTY"]
    legs = snap.legs.copy()
    legs.loc[legs.index[:3], "last_price"] = math.nan
    state.snapshots["NIFTY"] = dataclasses.replace(snap, legs=legs)
    outcome = build_report(state).indices["NIFTY"]
    assert outcome.status == "degraded" and outcome.error == "3 legs without a price"
