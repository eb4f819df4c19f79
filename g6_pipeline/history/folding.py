"""Folding chosen (day, index) pairs into the weekday master, as the weekday-master asset asks.

Each day must be sealed first: with the synthetic provider a day with nothing stored is generated and sealed;
a day whose minute slices are stored but not sealed is sealed by the recipe; then each index's days are folded
(`weekday_master.update_range`). A day failing a blocking check is not folded and says why. A sealed
close-of-day day (an imported bhavcopy: one closing minute by design) is not a typical intraday day: it is left
out of the fold with an `info` note (not a critical issue, so the master's check stays green).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from g6_pipeline.history.backfill import DayOutcome, GenerateMode, build_history
from g6_pipeline.history.quality import close_of_day_only
from g6_pipeline.history.seal import CLOSE_OF_DAY_NOT_FOLDED, sealed_sources
from g6_pipeline.history.weekday_master import Issue, WeekdayMasterReport
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.storage.location import WEEKDAY_NAMES


@dataclass
class FoldResult:
    """The days made or sealed before the fold, and the weekday-master reports per index."""

    outcomes: list[DayOutcome] = field(default_factory=list)
    reports: dict[str, list[WeekdayMasterReport]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per day generated, sealed or failed before the fold."""
        return [o.line() for o in self.outcomes]

    def severities(self, index: str) -> Counter[str]:
        """The issues of one index's folded days, counted by severity."""
        return Counter(issue.severity for report in self.reports.get(index, []) for issue in report.issues)


def fold_days(setup: ProcessSetup, pairs: Iterable[tuple[date, str]]) -> FoldResult:
    """Seal what is not sealed yet (generating synthetic days with nothing stored), then fold every pair."""
    by_index: dict[str, list[date]] = defaultdict(list)
    left_out: dict[str, list[WeekdayMasterReport]] = defaultdict(list)
    for day, index in pairs:
        sources = sealed_sources(setup.location, day, index)
        if sources is not None and close_of_day_only(sources):
            left_out[index].append(_close_of_day_report(day, index, sources))
        else:
            by_index[index].append(day)
    generate: GenerateMode = "missing" if setup.settings.provider == "synthetic" else "none"
    result = FoldResult()
    for index in sorted({*by_index, *left_out}):
        reports: dict[str, list[WeekdayMasterReport]] = {index: []}
        if by_index[index]:
            outcomes, reports = build_history(setup, by_index[index], [index], generate=generate, workers=1)
            result.outcomes.extend(o for o in outcomes if o.outcome not in ("kept", "refused"))
        result.reports[index] = sorted([*reports[index], *left_out[index]], key=lambda r: r.day)
    return result


def _close_of_day_report(day: date, index: str, sources: tuple[str, ...]) -> WeekdayMasterReport:
    """The report of a close-of-day day left out of the fold: nothing folded, an `info` note saying why."""
    return WeekdayMasterReport(
        day=day, index=index, weekday=WEEKDAY_NAMES[day.weekday()], rows=0, master_rows=0, files_written=0,
        days_folded=(), issues=(Issue("info", f"not folded: {CLOSE_OF_DAY_NOT_FOLDED}"),), sources=sources,
    )
