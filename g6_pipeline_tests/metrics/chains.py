"""Realistic enriched chains and cycle reports for the observability tests.

The option prices come from Black-Scholes on a small volatility smile, open interest from a seeded generator;
the overview is computed from those rows the way a trader would (ΣPE OI ÷ ΣCE OI, ATM ce + pe, ...).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import norm

from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.core.schema import EXPIRY_TAGS, OPTION_COLUMNS, OVERVIEW_COLUMNS, TAG_BITS
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot, EnrichedChain

IST = ZoneInfo("Asia/Kolkata")
MINUTE = datetime(2026, 3, 10, 11, 42, tzinfo=IST)
SPOTS = {"NIFTY": (24512.35, 50.0), "BANKNIFTY": (52140.8, 100.0), "FINNIFTY": (23410.1, 50.0), "SENSEX": (80733.6, 100.0)}
EXPIRY_DAYS = {"this_week": 2, "next_week": 9, "this_month": 16}
"""Days from the collection minute to each expiry."""


def _bs(spot: float, strike: float, t: float, vol: float, call: bool, r: float = 0.065) -> float:
    d1 = (math.log(spot / strike) + (r + vol * vol / 2) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    if call:
        return float(spot * norm.cdf(d1) - strike * math.exp(-r * t) * norm.cdf(d2))
    return float(strike * math.exp(-r * t) * norm.cdf(-d2) - spot * norm.cdf(-d1))


def make_chain(
    index: str = "NIFTY",
    tags: tuple[str, ...] = ("this_week", "next_week"),
    strikes_each_side: int = 5,
    minute: datetime = MINUTE,
    seed: int = 6,
) -> EnrichedChain:
    """One index's enriched chain: every schema column, ATM ± `strikes_each_side` strikes per expiry."""
    spot, step = SPOTS[index]
    rng = np.random.default_rng(seed)
    atm = round(spot / step) * step
    rows: list[dict[str, object]] = []
    overview: dict[str, object] = {c: math.nan for c in OVERVIEW_COLUMNS}
    for tag in tags:
        tag_rows = _expiry_rows(index, tag, spot, atm, step, strikes_each_side, minute, rng)
        overview.update(_expiry_overview(tag, tag_rows, spot, atm, step))
        rows += tag_rows
    mask = sum(TAG_BITS[t] for t in tags)
    legs = len(rows)
    overview.update(
        {
            "timestamp": minute, "index": index, "index_price": spot, "index_prev_close": spot - 40.0,
            "index_net_change": 40.0, "index_day_change": 12.5, "day_high": spot + 30, "day_low": spot - 60,
            "day_width": 90.0, "expiries_expected": len(tags), "expiries_collected": len(tags),
            "expected_mask": mask, "collected_mask": mask, "missing_mask": 0,
            "legs_expected": legs, "legs_collected": legs, "legs_missing": 0,
            "iv_failures": sum(1 for r in rows if r["iv_status"] != "ok"),
        }
    )
    options = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    snapshot = ChainSnapshot(
        index=index, timestamp=minute, fetched_at=minute + timedelta(seconds=3), spot=spot,
        legs=options[[c for c in LEG_COLUMNS]].copy(), expiries={t: minute.date() + timedelta(days=EXPIRY_DAYS[t]) for t in tags}, provider="synthetic",
    )
    assert set(overview) == set(OVERVIEW_COLUMNS)
    return EnrichedChain(snapshot=snapshot, options=options, overview=overview)


def _expiry_rows(
    index: str, tag: str, spot: float, atm: float, step: float, each_side: int, minute: datetime,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """The option rows of one expiry: Black-Scholes prices on a small smile, seeded open interest and volume."""
    expiry = minute.date() + timedelta(days=EXPIRY_DAYS[tag])
    t = (datetime.combine(expiry, datetime.min.time(), IST) + timedelta(hours=15, minutes=30) - minute).total_seconds()
    t_years = t / (365 * 86400)
    rows = []
    for i in range(-each_side, each_side + 1):
        strike = atm + i * step
        for side in ("CE", "PE"):
            vol = 0.13 + 0.004 * abs(i) + (0.002 * -i if side == "PE" else 0.0)
            price = round(_bs(spot, strike, t_years, vol, side == "CE"), 2)
            far_otm = (side == "CE" and i == each_side) or (side == "PE" and i == -each_side)
            iv, status = (math.nan, "below_intrinsic") if far_otm else (vol, "ok")
            oi = float(rng.integers(20, 400) * 75 * (3 if i == 0 else 1))
            volume = float(rng.integers(1_000, 90_000))
            rows.append(
                {
                    "timestamp": minute, "index": index, "expiry": expiry, "expiry_tag": tag, "strike": strike,
                    "offset": int(strike - atm), "side": side, "instrument_token": int(rng.integers(1_000_000, 9_000_000)),
                    "tradingsymbol": f"{index}26MAR{int(strike)}{side}", "lot_size": 75, "last_price": price,
                    "bid": price - 0.05, "ask": price + 0.05, "bid_qty": 750.0, "ask_qty": 600.0,
                    "volume": volume, "oi": oi, "average_price": price * 0.99, "prev_close": price * 1.02,
                    "oi_change": math.nan, "buildup": "", "index_price": spot, "forward": spot * math.exp(0.065 * t_years),
                    "atm": atm, "t_years": t_years, "iv": iv, "iv_status": status,
                    "delta": math.nan, "gamma": math.nan, "vega": math.nan, "theta": math.nan, "rho": math.nan,
                }
            )
    return rows


def _expiry_overview(
    tag: str, rows: list[dict[str, object]], spot: float, atm: float, step: float
) -> dict[str, object]:
    """The overview figures of one expiry, computed from its rows as a trader would."""
    frame = pd.DataFrame(rows)
    oi = frame.groupby("side")["oi"].sum()  # whole numbers: the sums are exact in any order
    volume = frame.groupby("side")["volume"].sum()
    at_atm = frame[frame["strike"] == atm].set_index("side")["last_price"]
    return {
        f"expiry_{tag}": rows[0]["expiry"], f"atm_{tag}": atm, f"forward_{tag}": spot,
        f"pcr_{tag}": float(oi["PE"] / oi["CE"]), f"pcr_volume_{tag}": float(volume["PE"] / volume["CE"]),
        f"straddle_{tag}": float(at_atm["CE"] + at_atm["PE"]),
        f"max_pain_{tag}": atm - step, f"atm_iv_{tag}": 0.13, f"rr25_{tag}": -0.012, f"bf25_{tag}": 0.004,
        f"ce_oi_{tag}": float(oi["CE"]), f"pe_oi_{tag}": float(oi["PE"]),
    }


def make_report(
    indices: tuple[str, ...] = ("NIFTY", "BANKNIFTY"),
    minute: datetime = MINUTE,
    failed: tuple[str, ...] = (),
    sink_error: str | None = None,
) -> CycleReport:
    """A cycle over `indices` (those in `failed` failed), with provider calls, latencies and two sinks."""
    outcomes = {}
    for name in indices:
        if name in failed:
            outcomes[name] = IndexOutcome(name, "failed", error="index price not quoted", legs_expected=44)
            continue
        tags = ("this_week", "next_week") if name in ("NIFTY", "SENSEX") else ("this_month",)
        chain = make_chain(name, tags, minute=minute)
        n = len(chain.options)
        outcomes[name] = IndexOutcome(name, "ok", chain=chain, legs_expected=n, legs_collected=n)
    stats = ProviderStats(
        calls=Counter({("quote", "ok"): 6, ("instruments", "ok"): 1, ("quote", "NetworkException"): 1}),
        latencies=[("quote", 0.21), ("quote", 0.34), ("quote", 1.2), ("instruments", 0.8)],
        rate_limit_wait_seconds=2.5,
        retries=1,
        circuit="closed",
        token_state="valid",
    )
    sinks = [
        SinkOutcome("parquet", rows=120, bytes=48_000, seconds=0.12),
        SinkOutcome("csv", rows=60, bytes=21_000, seconds=0.08, error=sink_error),
    ]
    return CycleReport(
        minute=minute, started_at=minute + timedelta(seconds=1), finished_at=minute + timedelta(seconds=6.5),
        provider="kite", indices=outcomes, sinks=sinks, provider_stats=stats,
    )


__all__ = ["EXPIRY_TAGS", "make_chain", "make_report"]
