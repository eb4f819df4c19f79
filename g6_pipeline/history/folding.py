"""Folding chosen (day, index) pairs into the weekday master, as the weekday-master asset asks.

Each day must be sealed first: with the synthetic provider a day with nothing stored is generated and sealed;
a day whose minute slices are stored but not sealed is sealed by the recipe; then each index's days are folded
(`weekday_master.update_range`). A day failing a blocking check is not folded and says why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from g6_pipeline.history.backfill import DayOutcome, GenerateMode, build_history
from g6_pipeline.history.weekday_master import WeekdayMasterReport
from g6_pipeline.process.setup import ProcessSetup


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
    for day, index in pairs:
        by_index[index].append(day)
    generate: GenerateMode = "missing" if setup.settings.provider == "synthetic" else "none"
    result = FoldResult()
    for index, days in sorted(by_index.items()):
        outcomes, reports = build_history(setup, days, [index], generate=generate, workers=1)
        result.outcomes.extend(o for o in outcomes if o.outcome not in ("kept", "refused"))
        result.reports[index] = reports[index]
    return result
