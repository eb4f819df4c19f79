"""Generate `docs/metrics.md` from the catalogue: `python -m g6_pipeline.metrics.docs [PATH]`."""

from __future__ import annotations

import sys
from pathlib import Path

from g6_pipeline.metrics.catalogue import CATALOGUE, CYCLE_GROUP_INDEX, JOB_COLLECTION

DOC_PATH = Path("docs/metrics.md")

_INTRO = f"""# G6 metrics

Generated from `g6_pipeline/metrics/catalogue.py` by `python -m g6_pipeline.metrics.docs`; do not edit by hand.

Every collection run pushes its metrics to a Prometheus Pushgateway (`metrics.pushgateway_url` or
`G6_PUSHGATEWAY_URL`; unset: nothing is pushed). Groups are pushed under the grouping key `job` + `index`:
job `{JOB_COLLECTION}` has one group per index and one with `index="{CYCLE_GROUP_INDEX}"` for cycle-wide series
(runs, provider, sinks); the weekday master, the asset checks and the sealed days' minutes push under their own
jobs. Prometheus scrapes the Pushgateway with `honor_labels: true`, so every series also carries `job` and `index`.

Counters and histograms add up across runs (each push adds the values the Pushgateway already holds), so
`rate()` and `increase()` work; gauges describe the latest run. A value the run did not produce (an index that
failed, an analytic that could not be computed) is absent, never zero.

Groups are switched by `metrics.groups` (default: core, provider, analytics, storage). `per_option` series
cover ATM ± `metrics.per_option_strikes` strikes of every expiry of the indices (never of a stock: no series
has a strike label for the stocks), nearest first, and stop at `metrics.series_budget` series per run; the rest
is counted in `g6_metrics_series_dropped_total`. How many series two hundred underlyings make is measured by
`benchmarks/metrics_series.py` (`benchmarks/README_breadth.md`).
"""


def render() -> str:
    """The Markdown text of `docs/metrics.md`."""
    lines = [_INTRO]
    groups = ["core", "provider", "analytics", "storage", "per_option"]
    for group in groups:
        specs = [s for s in CATALOGUE if s.group == group]
        lines += [f"## Group `{group}`", "", "| metric | type | labels | job | help |", "|---|---|---|---|---|"]
        for s in specs:
            labels = ", ".join(f"`{label}`" for label in s.labels) or "—"
            kind = s.kind + (f" (buckets {', '.join(f'{b:g}' for b in s.buckets)})" if s.buckets else "")
            keep = " Keeps its last value when a run does not set it." if s.keep_last else ""
            help_text = s.help.replace("|", "\\|")
            lines.append(f"| `{s.name}` | {kind} | {labels} | `{s.job}` | {help_text}{keep} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the document to the given path (default `docs/metrics.md`)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DOC_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
