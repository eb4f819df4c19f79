"""Underlying paths of the simulated market (indices and stocks alike): daily closes with stochastic vol and jumps, minute paths between them.

Every calendar day from `EPOCH` has a close level and a vol state (log-vol AR(1) with a common part, returns
loading on a market factor shared by every underlying, rare market-wide jumps). The level is anchored: on the
reference date it is the reference level, and from there it evolves forward and backward as a slowly
mean-reverting walk (its log deviation halves in about a year), so any simulated day stays near today's
market. A session's minutes form a Brownian bridge from the day's open (previous close plus an overnight
gap) to its close, with a U-shaped intraday vol profile, spot-vol correlation and minute shocks that load
on a market factor of the day like the daily returns do. Outside
the session the index keeps moving quietly on a bridge from the last close to the next open, so a live
minute exists at any hour. All draws are seeded by (seed, index, day): the same seed gives the same path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from g6_pipeline.providers.synthetic.specs import REFERENCE_DATE, SPECS, IndexSpec

EPOCH = date(2024, 1, 1)
GRID_END = date(2032, 1, 1)
REVERSION = 1.0 - math.log(2.0) / 365.0
"""Daily decay of the log level's deviation from the reference level (a half-life of a year)."""


def ar1(shocks: np.ndarray, gain: float, decay: float) -> np.ndarray:
    """y[i] = gain·shocks[i] + decay·y[i − 1] from y[−1] = 0: a first-order recursive filter along axis 0
    (each column of a 2-D `shocks` is a series of its own).

    The same floating-point operations as `scipy.signal.lfilter([gain], [1, −decay], shocks)`, so the
    same bits, without importing scipy.signal (seconds of start-up for a one-line recursion).
    """
    if shocks.ndim == 2:
        out2 = np.empty_like(shocks)
        y2 = np.zeros(shocks.shape[1])
        for i, row in enumerate(shocks):
            y2 = gain * row + decay * y2
            out2[i] = y2
        return out2
    out = []
    y = 0.0
    for shock in shocks.tolist():
        y = gain * shock + decay * y
        out.append(y)
    return np.array(out, dtype=np.float64)


@dataclass(frozen=True)
class DayPath:
    """One index over one session: `log_spot` and `vol` at each minute start plus the close (length M + 1)."""

    log_spot: np.ndarray
    vol: np.ndarray
    start_epoch: int
    """Unix seconds of the first minute."""
    prev_close: float
    prev_vol: float

    @property
    def minutes(self) -> int:
        """Number of session minutes."""
        return len(self.log_spot) - 1


def anchored(returns: np.ndarray, k0: int) -> np.ndarray:
    """Log deviation from the reference level per day: 0 on day `k0`, mean-reverting walks on either side.

    Forward x[i] = REVERSION·x[i − 1] + r[i]; backward x[i − 1] = REVERSION·x[i] − r[i].
    """
    x = np.zeros_like(returns)
    x[k0 + 1 :] = ar1(returns[k0 + 1 :], 1.0, REVERSION)
    x[:k0] = ar1(-returns[k0:0:-1], 1.0, REVERSION)[::-1]
    return x


def reference_levels(levels: Mapping[str, float] | None) -> dict[str, float]:
    """The specs' reference levels with `levels` overriding some of them (unknown names are an error)."""
    unknown = sorted(set(levels or {}) - set(SPECS))
    if unknown:
        raise ValueError(f"the synthetic market has no underlying {', '.join(unknown)}")
    return {name: float((levels or {}).get(name, spec.reference_level)) for name, spec in SPECS.items()}


class DailyModel:
    """Close level and vol state of every underlying on every calendar day in [EPOCH, GRID_END), anchored to
    the reference levels (the specs' unless `levels` overrides them) on `anchor`.

    The indices are computed at once; the stocks together, the first time any of them is asked for (a market
    serving the indices alone never pays for two hundred stock paths).
    """

    def __init__(self, seed: int, levels: Mapping[str, float] | None = None, anchor: date = REFERENCE_DATE) -> None:
        self.seed = seed
        self.levels = reference_levels(levels)
        n = (GRID_END - EPOCH).days
        self._k0 = (anchor - EPOCH).days
        if not 0 < self._k0 < n:
            raise ValueError(f"the reference date {anchor} is outside {EPOCH} to {GRID_END}")
        weekday = (np.arange(n) + EPOCH.weekday()) % 7
        self._dt = np.where(weekday < 5, 1.0 / 252.0, 0.2 / 252.0)
        market = np.random.default_rng([seed, 0])
        self._common, self._common_vol = market.standard_normal(n), market.standard_normal(n)
        self._jumps = (market.random(n) < 0.01) * (weekday < 5) * market.normal(0.0, 0.02, n)
        self.log_close: dict[str, np.ndarray] = {}
        self.vol: dict[str, np.ndarray] = {}
        self.gap: dict[str, np.ndarray] = {}
        self._add([s for s in SPECS.values() if s.kind == "index"])

    def _add(self, specs: Sequence[IndexSpec]) -> None:
        """Compute the daily series of `specs` together (each from its own seeded draws)."""
        n = self._common.size
        draws = [np.random.default_rng([self.seed, spec.uid]) for spec in specs]
        own_vol = np.column_stack([rng.standard_normal(n) for rng in draws])
        own = np.column_stack([rng.standard_normal(n) for rng in draws])
        base = np.array([spec.base_vol for spec in specs])
        loading = np.array([spec.loading for spec in specs])
        h = ar1(0.8 * self._common_vol[:, None] + 0.6 * own_vol, 0.08, 0.97)
        vol = base * np.exp(h)
        z = loading * self._common[:, None] + np.sqrt(1.0 - loading**2) * own
        dt = self._dt[:, None]
        r = -0.5 * vol * vol * dt + vol * np.sqrt(dt) * z + self._jumps[:, None] * (vol / base)
        deviation = anchored(r, self._k0)
        for i, spec in enumerate(specs):
            self.log_close[spec.name] = math.log(self.levels[spec.name]) + deviation[:, i]
            self.vol[spec.name] = vol[:, i]
            self.gap[spec.name] = 0.3 * r[:, i]

    def _series(self, name: str) -> None:
        """Make sure `name`'s series exist (the first stock asked for computes every stock's)."""
        if name not in self.log_close:
            if name not in SPECS:
                raise ValueError(f"the synthetic market has no underlying {name!r}")
            self._add([s for s in SPECS.values() if s.name not in self.log_close])

    def _k(self, d: date) -> int:
        k = (d - EPOCH).days
        if not 0 < k < (GRID_END - EPOCH).days:
            raise ValueError(f"the synthetic market covers {EPOCH} to {GRID_END}, not {d}")
        return k

    def close(self, name: str, d: date) -> float:
        """Close level of `d` (the level at the end of the day for a non-trading day)."""
        self._series(name)
        return float(np.exp(self.log_close[name][self._k(d)]))

    def day_vol(self, name: str, d: date) -> float:
        """Vol state of `d`."""
        self._series(name)
        return float(self.vol[name][self._k(d)])

    def log_open(self, name: str, d: date) -> float:
        """Log level at `d`'s open: the previous day's close plus the overnight gap."""
        self._series(name)
        k = self._k(d)
        return float(self.log_close[name][k - 1] + self.gap[name][k])


@lru_cache(maxsize=1024)
def day_path(model: DailyModel, spec: IndexSpec, day: date, minutes: int, start_epoch: int, prev_day: date) -> DayPath:
    """The minute path of one session (cached; identical for every caller with the same arguments)."""
    market = np.random.default_rng([model.seed, 0, day.toordinal(), 7])
    rng = np.random.default_rng([model.seed, spec.uid, day.toordinal(), 7])
    u = (np.arange(minutes) + 0.5) / minutes
    w = 1.0 + 6.0 * (u - 0.5) ** 2
    w = w / np.sqrt(np.sum(w * w))
    sig_d = model.day_vol(spec.name, day)
    z = spec.loading * market.standard_normal(minutes) + math.sqrt(1.0 - spec.loading**2) * rng.standard_normal(minutes)
    steps = sig_d * math.sqrt(0.7 / 252.0) * w * z
    if market.random() < 0.05:
        steps[market.integers(minutes)] += market.normal(0.0, 0.006) * sig_d / spec.base_vol
    walk = np.concatenate([[0.0], np.cumsum(steps)])
    lo, lc = model.log_open(spec.name, day), math.log(model.close(spec.name, day))
    frac = np.arange(minutes + 1) / minutes
    log_spot = lo + walk + frac * (lc - lo - walk[-1])
    sig_prev = model.day_vol(spec.name, prev_day)
    vol = (sig_prev + (sig_d - sig_prev) * frac) * np.exp(np.clip(-4.0 * (log_spot - lo), -0.5, 0.5))
    return DayPath(log_spot, vol, start_epoch, model.close(spec.name, prev_day), sig_prev)


@lru_cache(maxsize=1024)
def night_path(model: DailyModel, spec: IndexSpec, last_day: date, next_day: date, minutes: int) -> np.ndarray:
    """Log level at each minute from the last close to the next open (length `minutes` + 1)."""
    rng = np.random.default_rng([model.seed, spec.uid, last_day.toordinal(), 11])
    sig = model.day_vol(spec.name, last_day)
    steps = sig * math.sqrt(0.3 / 252.0 / max(minutes, 1)) * rng.standard_normal(minutes)
    walk = np.concatenate([[0.0], np.cumsum(steps)])
    lc, lo = math.log(model.close(spec.name, last_day)), model.log_open(spec.name, next_day)
    frac = np.arange(minutes + 1) / max(minutes, 1)
    out: np.ndarray = lc + walk + frac * (lo - lc - walk[-1])
    return out


def epoch_seconds(ts: datetime) -> int:
    """Unix seconds of a tz-aware instant."""
    return int(ts.timestamp())
