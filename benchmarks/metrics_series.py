"""Measure: how many Prometheus series one collection run pushes, for the four indices and for two hundred
underlyings (the seven indices and the F&O stocks), with the default metric groups and with `per_option`.

One real minute of the simulated market is collected and enriched for every underlying (the synthetic
provider, default settings of each kind), then `metrics.record_cycle` turns the cycle's report into the pushed
groups; a series is one sample (a label set) of a gauge or counter, or one histogram (its buckets counted).
The per-option series (a label per strike) are recorded for the indices only.

    .venv/bin/python benchmarks/metrics_series.py [--underlyings 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from g6_pipeline.analytics import enrich_many  # noqa: E402
from g6_pipeline.core.calendar import MarketCalendar  # noqa: E402
from g6_pipeline.core.clock import IST  # noqa: E402
from g6_pipeline.core.report import CycleReport, IndexOutcome  # noqa: E402
from g6_pipeline.core.underlyings import DEFAULT_UNDERLYINGS, expand  # noqa: E402
from g6_pipeline.metrics import record_cycle  # noqa: E402
from g6_pipeline.providers.factory import make_provider  # noqa: E402
from g6_pipeline.settings.model import Settings  # noqa: E402

MINUTE = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
"""A Wednesday session minute."""


def report_for(names: list[str], groups: list[str], cache: Path) -> tuple[CycleReport, Settings]:
    """A cycle report of one collected, enriched minute of `names`, and its settings."""
    settings = Settings.model_validate({"underlyings": names, "metrics": {"groups": groups}})
    calendar = MarketCalendar.load(REPO / "config")
    result = make_provider(settings, cache, calendar).fetch(settings.enabled_indices, MINUTE)
    chains = enrich_many(list(result.snapshots.values()), settings.analytics.risk_free_rate)
    outcomes = {c.index: IndexOutcome(c.index, "ok", chain=c, legs_expected=len(c.options),
                                      legs_collected=len(c.options)) for c in chains}
    report = CycleReport(minute=MINUTE, started_at=MINUTE, finished_at=MINUTE, provider="synthetic", indices=outcomes)
    return report, settings


def series(report: CycleReport, settings: Settings) -> Counter[str]:
    """Series of one push by group: each underlying's name, and "all" for the cycle-wide group."""
    out: Counter[str] = Counter()
    for group in record_cycle(report, settings):
        name = str(dict(group.labels).get("index"))
        for family in group.values.families():
            if family.type == "histogram":
                out[name] += len({tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                                  for s in family.samples})
            else:
                out[name] += len(family.samples)
    return out


def main() -> None:
    """Print the series of one push for the baseline and the wide universe, both metric group choices."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--underlyings", type=int, default=200)
    args = parser.parse_args()
    wide = expand(["indices", "fo_stocks"])[: args.underlyings]
    defaults = ["core", "provider", "analytics", "storage"]
    print("| underlyings | metric groups | series per index | per stock | cycle-wide | total per push | "
          "strike-labelled |")
    print("|---|---|---|---|---|---|---|")
    for names in (list(DEFAULT_UNDERLYINGS), wide):
        for groups in (defaults, [*defaults, "per_option"]):
            report, settings = report_for(names, groups, Path("/tmp"))
            counted = series(report, settings)
            kinds = {n: settings.indices[n].kind for n in names}
            per_index = [counted[n] for n in names if kinds[n] == "index"]
            per_stock = [counted[n] for n in names if kinds[n] == "stock"]
            strike = sum(len(f.samples) for g in record_cycle(report, settings) for f in g.values.families()
                         if "strike" in (f.samples[0].labels if f.samples else {}))
            label = "default" if groups == defaults else "default + per_option"
            stock = f"{statistics.median(per_stock):.0f}" if per_stock else "-"
            print(f"| {len(names)} ({len(per_index)} indices) | {label} | {statistics.median(per_index):.0f} | "
                  f"{stock} | {counted['all']:,} | {sum(counted.values()):,} | {strike:,} |")


if __name__ == "__main__":
    main()
