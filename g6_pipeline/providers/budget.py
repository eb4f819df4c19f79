"""The quote budget: what the configured underlyings cost a minute in quote calls, from the day's dumps.

Kite's `/quote` answers at most 500 instruments a call and takes `kite.requests_per_second` calls a second
(1 by default), so a minute's cost is its calls: one batch of prices (every underlying's own quote and the
India VIX) and the stored windows of every expiry, all underlyings' keys batched together. A window is the
configured strikes around the money, widened to the 25-delta wings where `wings` is on; its width is
estimated from the dump alone: centred on the middle of the listed strikes, and widened by the first
minute's guess of volatility (`window.guess_total_vol` at an India VIX of `BUDGET_VIX`).

The configuration fits when the calls take at most `collection.quote_seconds` at the quote rate. When it does
not, `cuts` says what to leave out: the lowest underlyings in priority order, or for the stocks one expiry
fewer or fewer strikes. Whole chains for the full-chain PCR and max pain come on top, only within
`chain_plan.QUOTE_SECONDS_PER_MINUTE` and never at the windows' expense.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import floor_minute
from g6_pipeline.instruments import (
    DumpError,
    IndexUniverse,
    UniverseError,
    build_universe,
    dump_day,
    options_by_name,
    tag_day,
)
from g6_pipeline.providers.chain_plan import QUOTE_SECONDS_PER_MINUTE, budget_calls, calls_for
from g6_pipeline.providers.quotes import QUOTE_BATCH
from g6_pipeline.providers.window import expiry_window
from g6_pipeline.settings.model import IndexSettings, Settings

BUDGET_VIX = 15.0
"""The India VIX the estimate assumes for the first minute's window widths (a calm market is 10-14)."""

Dumps = Callable[[str, date], pd.DataFrame]
"""The instrument dump of an options exchange (NFO, BFO) for a day."""


@dataclass(frozen=True)
class UnderlyingCost:
    """One underlying's share of the minute."""

    name: str
    kind: str
    instruments: int
    """Option legs of its stored windows (every expiry once), 0 when it cannot be collected today."""
    expiries: int
    problem: str | None = None
    """Why it cannot be collected from today's dump (then it costs nothing)."""


def cached(dumps: Dumps) -> Dumps:
    """`dumps` asked once per exchange and day."""
    seen: dict[tuple[str, date], pd.DataFrame] = {}

    def dump(exchange: str, day: date) -> pd.DataFrame:
        if (exchange, day) not in seen:
            seen[(exchange, day)] = dumps(exchange, day)
        return seen[(exchange, day)]

    return dump


def window_legs(uni: IndexUniverse, ix: IndexSettings, minute: datetime) -> int:
    """Option legs of the underlying's stored windows, estimated from the dump (see the module docstring)."""
    legs = 0
    for expiry in set(uni.expiries.values()):
        _, strikes = uni.rows_of(expiry)
        listed = np.unique(strikes)
        window = expiry_window(listed, float(np.median(listed)), None, BUDGET_VIX, expiry, minute,
                               ix.strikes_below, ix.strikes_above, ix.wings)
        legs += int(np.isin(strikes, window).sum())
    return legs


@dataclass(frozen=True)
class QuoteBudget:
    """The minute's quote calls for a configuration and a day's dumps."""

    day: date
    costs: tuple[UnderlyingCost, ...]
    """In collection priority."""
    rate: float
    limit_seconds: float
    batch: int = QUOTE_BATCH

    @property
    def collected(self) -> list[UnderlyingCost]:
        """The underlyings today's dumps list."""
        return [c for c in self.costs if c.problem is None]

    @property
    def prices(self) -> int:
        """Price quotes a minute: every collected underlying's and the India VIX."""
        return len(self.collected) + 1

    @property
    def options(self) -> int:
        """Option quotes a minute (the stored windows)."""
        return sum(c.instruments for c in self.costs)

    @property
    def calls(self) -> int:
        """Quote calls a minute: the prices, then the options."""
        return calls_for(self.prices, self.batch) + calls_for(self.options, self.batch)

    @property
    def seconds(self) -> float:
        """Seconds the calls take at the quote rate."""
        return self.calls / self.rate

    @property
    def allowed_calls(self) -> int:
        """Calls that fit `limit_seconds`."""
        return int(budget_calls(self.rate, self.limit_seconds))

    @property
    def fits(self) -> bool:
        """Whether the minute's calls fit `limit_seconds`."""
        return self.calls <= self.allowed_calls

    @property
    def full_chain_calls(self) -> int:
        """Calls left for whole chains (full-chain PCR and max pain) within `QUOTE_SECONDS_PER_MINUTE`."""
        return max(int(budget_calls(self.rate, QUOTE_SECONDS_PER_MINUTE)) - self.calls, 0)


def estimate(settings: Settings, dumps: Dumps, now: datetime) -> QuoteBudget:
    """The quote budget of the enabled underlyings for the dumps current at `now`."""
    day, live, minute = dump_day(now), tag_day(now), floor_minute(now)
    costs = []
    grouped: dict[str, dict[str, pd.DataFrame]] = {}
    for name, ix in settings.enabled_indices.items():
        try:
            if ix.exchange not in grouped:
                grouped[ix.exchange] = options_by_name(dumps(ix.exchange, day), ix.exchange)
            uni = build_universe(grouped[ix.exchange], name, ix.exchange, ix.spot_key, ix.expiry_tags, live)
        except (UniverseError, DumpError) as exc:
            costs.append(UnderlyingCost(name, ix.kind, 0, 0, str(exc)))
            continue
        costs.append(UnderlyingCost(name, ix.kind, window_legs(uni, ix, minute), len(set(uni.expiries.values()))))
    limit = settings.collection.quote_seconds
    return QuoteBudget(day, tuple(costs), settings.kite.requests_per_second, limit)


def cuts(budget: QuoteBudget, stocks_at: Mapping[str, QuoteBudget]) -> list[str]:
    """What to leave out so that an over-budget configuration fits, one alternative per line.

    `stocks_at` holds the budgets of the same configuration with the stocks changed (label → budget, e.g.
    `'stocks expiry_tags ["this_month"]'`), as `alternatives` builds them; those that fit are offered.
    """
    out = []
    kept = list(budget.costs)
    dropped: list[str] = []
    while kept and not replace(budget, costs=tuple(kept)).fits:
        dropped.append(kept.pop().name)
    if dropped:
        names = ", ".join(dropped[:4]) + (f" … {dropped[-1]}" if len(dropped) > 4 else "")
        out.append(f"leave out the last {len(dropped)} underlyings in priority order ({names})")
    out.extend(f"{label} ({alt.calls} calls, {alt.seconds:.0f} s)" for label, alt in stocks_at.items() if alt.fits)
    return out


def alternatives(settings: Settings, dumps: Dumps, now: datetime) -> dict[str, QuoteBudget]:
    """Budgets of the configuration with the stocks narrowed: one expiry, then fewer strikes each side."""
    stocks = [n for n, ix in settings.enabled_indices.items() if ix.kind == "stock"]
    if not stocks:
        return {}
    out: dict[str, QuoteBudget] = {}
    one = _with_stocks(settings, stocks, {"expiry_tags": ["this_month"]})
    out['one expiry for the stocks: kinds.stock.expiry_tags ["this_month"]'] = estimate(one, dumps, now)
    widest = max(max(settings.indices[n].strikes_below, settings.indices[n].strikes_above) for n in stocks)
    for strikes in range(widest - 1, 0, -1):
        narrower = estimate(_with_stocks(settings, stocks, {"strikes_below": strikes, "strikes_above": strikes}),
                            dumps, now)
        if narrower.fits:
            out[f"fewer strikes for the stocks: kinds.stock.strikes_below and strikes_above {strikes}"] = narrower
            break
    return out


def _with_stocks(settings: Settings, stocks: Sequence[str], change: Mapping[str, object]) -> Settings:
    """A copy of `settings` with `change` applied to every stock in `stocks`."""
    indices = {n: ix.model_copy(update=dict(change)) if n in stocks else ix for n, ix in settings.indices.items()}
    return settings.model_copy(update={"indices": indices})


def render(budget: QuoteBudget, provider: str, cut: Sequence[str] = ()) -> str:
    """The budget as a few lines: the indices one by one, the stocks together, the calls and the verdict."""
    lines = [f"quote budget for the {budget.day} dumps at {budget.rate:g} request/s, {budget.batch} instruments a call"
             + ("" if provider == "kite" else f" (Kite's rate; the {provider} provider itself has no limit)") + ":"]
    indices = [c for c in budget.collected if c.kind == "index"]
    stocks = [c for c in budget.collected if c.kind != "index"]
    if indices:
        listing = ", ".join(f"{c.name} {c.instruments:,}" for c in indices)
        lines.append(f"  {len(indices)} indices: {sum(c.instruments for c in indices):,} option quotes ({listing})")
    if stocks:
        each = sorted(c.instruments for c in stocks)
        spread = f"{each[0]:,}" if each[0] == each[-1] else f"{each[0]:,}-{each[-1]:,}"
        lines.append(f"  {len(stocks)} stocks: {sum(each):,} option quotes ({spread} each)")
    missing = [c for c in budget.costs if c.problem is not None]
    if missing:
        lines.append(f"  not in the {budget.day} dumps, not collected: " + ", ".join(c.name for c in missing[:8])
                     + (f" and {len(missing) - 8} more" if len(missing) > 8 else ""))
    price_calls = calls_for(budget.prices, budget.batch)
    lines.append(
        f"  per minute: {budget.calls} quote calls ({price_calls} for {budget.prices:,} prices, "
        f"{budget.calls - price_calls} for {budget.options:,} options), {budget.prices + budget.options:,} instruments, "
        f"{budget.seconds:.1f} s of the {budget.limit_seconds:g} s allowed (collection.quote_seconds)"
    )
    if budget.fits:
        extra = budget.full_chain_calls
        lines.append(f"  fits the minute; {extra} more calls may quote whole chains for the full-chain PCR and max pain"
                     if extra else "  fits the minute; no calls left for whole chains (PCR and max pain from the windows)")
    else:
        over = budget.calls - budget.allowed_calls
        lines.append(f"  does NOT fit the minute: {over} calls ({math.ceil(over / budget.rate):.0f} s) too many; to cut:")
        lines.extend(f"    - {c}" for c in cut or ["fewer underlyings, expiries or strikes"])
    return "\n".join(lines)
