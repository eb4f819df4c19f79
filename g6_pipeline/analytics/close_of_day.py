"""Pricing close-of-day chains (the exchanges' bhavcopy) into the rows a collected day holds.

Each `BhavcopyDay` goes through the same `enrich` as a collected minute: the synthetic forward from the
settlement prices, Black-76 IV, Greeks against the underlying's close, PCR, max pain, straddle, build-up and
the exchange's own change in OI. The days of one underlying are priced in date order and each day's ATM IV
close joins the history the next day's IV rank and percentile are read against (after any `history` given
for the sessions before the first day). Rows carry `source = "bhavcopy"` and no instrument token (the
bhavcopy has none): the token is missing, never made up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from g6_pipeline.analytics.enrich import enrich
from g6_pipeline.analytics.iv_rank import IV_RANK_MIN_SESSIONS, IV_RANK_SESSIONS
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.snapshot import EnrichedChain, IvCloses
from g6_pipeline.providers.bhavcopy import SOURCE, BhavcopyDay


def price_days(
    days: Iterable[BhavcopyDay],
    rate: float,
    history: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    iv_rank_min_sessions: int = IV_RANK_MIN_SESSIONS,
) -> list[EnrichedChain]:
    """One `EnrichedChain` per day, by underlying then day (see the module docstring).

    `rate`: the continuously compounded risk-free rate; `history`: underlying → expiry tag → closing ATM IVs
    of the stored sessions before the first day, oldest first (an `IvCloses` names their sources).
    """
    out: list[EnrichedChain] = []
    ordered = sorted(days, key=lambda d: (d.underlying, d.day))
    closes: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for day in ordered:
        known = (history or {}).get(day.underlying, {})
        named = known.sources if isinstance(known, IvCloses) else {}
        for tag in EXPIRY_TAGS:
            values = tuple(known.get(tag, ()))
            closes.setdefault((day.underlying, tag),
                              list(zip(values, named.get(tag, ("unknown",) * len(values)), strict=True)))
        trailing = {tag: closes[(day.underlying, tag)][-IV_RANK_SESSIONS:] for tag in EXPIRY_TAGS}
        chain = price_day(day, rate, IvCloses({t: tuple(v for v, _ in c) for t, c in trailing.items()},
                                              {t: tuple(s for _, s in c) for t, c in trailing.items()}),
                          iv_rank_min_sessions)
        for tag in EXPIRY_TAGS:
            value = chain.overview.get(f"atm_iv_{tag}")
            if isinstance(value, float) and math.isfinite(value):
                closes[(day.underlying, tag)].append((value, SOURCE))
        out.append(chain)
    return out


def price_day(
    day: BhavcopyDay,
    rate: float,
    atm_iv_closes: Mapping[str, tuple[float, ...]] | None = None,
    iv_rank_min_sessions: int = IV_RANK_MIN_SESSIONS,
) -> EnrichedChain:
    """The enriched close-of-day chain of one `BhavcopyDay` (its missing tokens kept missing)."""
    snapshot = day.snapshot
    tokens = snapshot.legs["instrument_token"]
    # enrich keeps tokens as int64; the placeholder never leaves this function: the rows get the real column back
    filled = snapshot.legs.assign(instrument_token=np.zeros(len(tokens), dtype=np.int64))
    reference = replace(day.reference, atm_iv_closes=atm_iv_closes if atm_iv_closes is not None else {})
    chain = enrich(replace(snapshot, legs=filled), rate, reference, iv_rank_min_sessions)
    options = chain.options.assign(instrument_token=pd.array(tokens.to_numpy(), dtype="Int64"))
    return EnrichedChain(snapshot=snapshot, options=options, overview=chain.overview)
