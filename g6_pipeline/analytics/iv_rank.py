"""IV rank and IV percentile of an expiry's ATM IV against its trailing daily closes.

The period is the closing ATM IVs (the last stored minute of each day) of up to `IV_RANK_SESSIONS` stored
sessions before today, for the same index and expiry tag. With low and high taken over the period and
today's value together (so that today is inside them and the rank stays within 0–100, as trading screens
show it):

- IV rank = 100 · (today − low) / (high − low);
- IV percentile = 100 · (days of the period whose close is below today) / (days in the period).

Both are NaN, with the reason in `status` (`schema.IV_RANK_STATUSES`), until the period holds at least
`min_sessions` closes or when today has no ATM IV; the rank alone is NaN when high equals low.

Which closes: a simulated minute is ranked against the closes of simulated sessions only, any other minute
against the closes of collected sessions and of imported bhavcopy days (the history before the first
collected day; an import never goes over a collected day, so each session has one source). `history_for`
picks them and labels what they are (`schema.IV_HISTORY_SOURCES`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from g6_pipeline.core.schema import CLOSE_OF_DAY_SOURCES, SIMULATED_SOURCES
from g6_pipeline.core.snapshot import IvCloses

IV_RANK_SESSIONS = 252
"""Sessions in the trailing period (about a year)."""
IV_RANK_MIN_SESSIONS = 20
"""Default minimum of daily closes before a rank is given (`analytics.iv_rank_min_sessions`)."""


@dataclass(frozen=True)
class IVRank:
    """IV rank and percentile (0–100), why they are what they are, and the closes they were read against."""

    rank: float
    percentile: float
    status: str
    sessions: int


def iv_rank(
    today: float,
    closes: Sequence[float],
    min_sessions: int = IV_RANK_MIN_SESSIONS,
    sessions: int = IV_RANK_SESSIONS,
) -> IVRank:
    """Rank and percentile of `today` against the last `sessions` finite values of `closes` (oldest first)."""
    history = np.asarray(closes, dtype=np.float64)
    history = history[np.isfinite(history)][-sessions:] if sessions > 0 else history[:0]
    n = int(history.size)
    if not math.isfinite(today):
        return IVRank(math.nan, math.nan, "no_atm_iv", n)
    if n == 0 or n < min_sessions:
        return IVRank(math.nan, math.nan, "short_history", n)
    percentile = 100.0 * float(np.count_nonzero(history < today)) / n
    low, high = min(float(history.min()), today), max(float(history.max()), today)
    if not high > low:
        return IVRank(math.nan, percentile, "flat_history", n)
    return IVRank(100.0 * (today - low) / (high - low), percentile, "ok", n)


def history_kind(source: str) -> str:
    """What one close's source counts as: `simulated`, `bhavcopy` (a close-of-day source) or `collected`."""
    if source in SIMULATED_SOURCES:
        return "simulated"
    return "bhavcopy" if source in CLOSE_OF_DAY_SOURCES else "collected"


def history_for(closes: Mapping[str, tuple[float, ...]], tag: str, source: str) -> tuple[tuple[float, ...], str]:
    """The closes of `tag` a minute of `source` is ranked against, and their label (see the module docstring):
    '' when there are none, `unknown` when `closes` does not name their sources (then all of them count)."""
    values = tuple(closes.get(tag, ()))
    if not isinstance(closes, IvCloses):
        return values, "unknown" if values else ""
    simulated = source in SIMULATED_SOURCES
    kept = [(v, history_kind(s)) for v, s in zip(values, closes.sources.get(tag, ()), strict=True)
            if (history_kind(s) == "simulated") == simulated]
    kinds = {kind for _, kind in kept}
    label = "+".join(kind for kind in ("collected", "bhavcopy", "simulated") if kind in kinds)
    return tuple(v for v, _ in kept), label
