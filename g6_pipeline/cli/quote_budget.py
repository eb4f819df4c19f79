"""The quote budget as `g6 config check` and `g6 diagnose` print it: the day's dumps of the configured
provider, the estimate, and whether the configuration is refused (`providers.budget`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.instruments import DumpError, InstrumentCache
from g6_pipeline.process.setup import instrument_cache_dir
from g6_pipeline.providers.budget import Dumps, QuoteBudget, alternatives, cached, cuts, estimate, render
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.providers.sources import MockSource, SyntheticSource
from g6_pipeline.settings import Settings
from g6_pipeline.storage.location import DataLocation

Verdict = Literal["ok", "warn", "fail"]


class NoDumpError(RuntimeError):
    """The day's Kite dump is neither cached nor downloadable without a token."""


@dataclass(frozen=True)
class BudgetReport:
    """The printed budget and its verdict: `fail` when a Kite configuration does not fit the minute."""

    verdict: Verdict
    text: str
    budget: QuoteBudget | None = None
    summary: str = ""
    """One line for a warning or an error."""


def provider_dumps(settings: Settings, calendar: MarketCalendar, kite_source: Any = None) -> Dumps:
    """The day's dumps as the configured provider gets them: the simulated market's, the mock's, or Kite's from
    the instrument cache (downloaded through `kite_source` when it is given and the cache lacks them)."""
    if settings.provider == "synthetic":
        return SyntheticSource(synthetic_market(settings, calendar)).instruments
    if settings.provider == "mock":
        return MockSource().instruments
    cache = InstrumentCache(instrument_cache_dir(DataLocation(settings.data_dir)))

    def kite(exchange: str, day: date) -> pd.DataFrame:
        frame = cache.load(exchange, day)
        if frame is not None:
            return frame
        if kite_source is None:
            raise NoDumpError(f"no {exchange} instrument dump of {day} in {cache.root} yet: `g6 diagnose` downloads it "
                              "with a valid token (so does the first minute collected)")
        return cache.get(exchange, day, lambda: kite_source.instruments(exchange, day))[0]

    return kite


def one_line(report: BudgetReport) -> str:
    """The budget in one line (`g6 diagnose`): the minute's calls, instruments and seconds, and the verdict."""
    budget = report.budget
    if budget is None:
        return report.summary
    head = (f"{len(budget.collected)} underlyings, {budget.day} dumps: {budget.calls} quote calls a minute, "
            f"{budget.prices + budget.options:,} instruments, {budget.seconds:.0f} s of {budget.limit_seconds:g} s "
            f"at {budget.rate:g} request/s")
    if report.verdict == "ok":
        return f"{head}: fits"
    cut = [line.strip().removeprefix("- ") for line in report.text.splitlines() if line.strip().startswith("- ")]
    return f"{head}: does not fit; cut: " + "; or ".join(cut)


def budget_report(settings: Settings, calendar: MarketCalendar, now: datetime, kite_source: Any = None) -> BudgetReport:
    """The quote budget of the enabled underlyings for today's dumps, rendered, with its verdict."""
    dumps = cached(provider_dumps(settings, calendar, kite_source))
    try:
        budget = estimate(settings, dumps, now)
    except (NoDumpError, DumpError) as exc:
        return BudgetReport("warn", f"quote budget not worked out: {exc}", summary=f"quote budget not worked out: {exc}")
    if budget.fits:
        return BudgetReport("ok", render(budget, settings.provider), budget)
    text = render(budget, settings.provider, cuts(budget, alternatives(settings, dumps, now)))
    over = f"the configured underlyings need {budget.calls} quote calls a minute, {budget.allowed_calls} fit"
    if settings.provider == "kite":
        return BudgetReport("fail", text, budget, f"{over}: cut as listed")
    return BudgetReport("warn", text, budget, f"{over} at Kite's rate (the {settings.provider} provider has no limit)")
