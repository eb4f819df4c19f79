"""The values of catalogued metrics for one push, and their exposition through a `CollectorRegistry`.

`MetricValues` checks every write against the catalogue (unknown metric, wrong labels, wrong kind, a value
that is not finite), ignores writes to disabled groups, and turns itself into Prometheus metric families.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from g6_pipeline.metrics.catalogue import CATALOGUE, MetricSpec, spec
from g6_pipeline.settings.model import MetricGroup

LabelValues = tuple[str, ...]


@dataclass
class HistogramValue:
    """Cumulative bucket counts (one per bucket bound, then +Inf), the sum and the count of observations."""

    bounds: tuple[float, ...]
    buckets: list[float] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.buckets:
            self.buckets = [0.0] * (len(self.bounds) + 1)

    @property
    def count(self) -> float:
        """Number of observations (the +Inf bucket)."""
        return self.buckets[-1]

    def observe(self, value: float) -> None:
        """Add one observation."""
        first = bisect.bisect_left(self.bounds, value)
        for i in range(first, len(self.buckets)):
            self.buckets[i] += 1
        self.total += value

    def add(self, other: HistogramValue) -> None:
        """Add another histogram with the same bounds (the values already pushed by earlier runs)."""
        if other.bounds != self.bounds:
            raise ValueError(f"histogram bounds differ: {other.bounds} vs {self.bounds}")
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.total += other.total


class MetricValues:
    """Values of catalogued metrics, restricted to the enabled groups."""

    def __init__(self, groups: Iterable[MetricGroup]) -> None:
        self.groups = frozenset(groups)
        self.scalars: dict[str, dict[LabelValues, float]] = {}
        self.histograms: dict[str, dict[LabelValues, HistogramValue]] = {}

    def enabled(self, name: str) -> bool:
        """Whether the metric's group is enabled (unknown names raise `KeyError`)."""
        return spec(name).group in self.groups

    def set(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge; a value that is not finite leaves the series absent (never a silent zero)."""
        self._scalar(name, "gauge", value, labels, add=False)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Add a non-negative amount to a counter (creating the series at that amount)."""
        if value < 0:
            raise ValueError(f"{name}: a counter cannot decrease (got {value})")
        self._scalar(name, "counter", value, labels, add=True)

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Add one observation to a histogram."""
        s = self._check(name, "histogram", labels)
        if s is None or not math.isfinite(value):
            return
        key = tuple(labels[k] for k in s.labels)
        series = self.histograms.setdefault(name, {})
        series.setdefault(key, HistogramValue(s.buckets)).observe(value)

    def get(self, name: str, **labels: str) -> float | None:
        """The value of a counter or gauge series, None when absent."""
        s = spec(name)
        return self.scalars.get(name, {}).get(tuple(labels[k] for k in s.labels))

    def _scalar(self, name: str, kind: str, value: float, labels: Mapping[str, str], add: bool) -> None:
        s = self._check(name, kind, labels)
        if s is None or not math.isfinite(value):
            return
        key = tuple(labels[k] for k in s.labels)
        series = self.scalars.setdefault(name, {})
        series[key] = series.get(key, 0.0) + value if add else float(value)

    def _check(self, name: str, kind: str, labels: Mapping[str, str]) -> MetricSpec | None:
        s = spec(name)
        if s.kind != kind:
            raise TypeError(f"{name} is a {s.kind}, not a {kind}")
        if set(labels) != set(s.labels):
            raise ValueError(f"{name} takes labels {list(s.labels)}, got {sorted(labels)}")
        return s if s.group in self.groups else None

    def families(self) -> Iterator[Metric]:
        """Prometheus metric families in catalogue order; metrics without series are left out."""
        for s in CATALOGUE:
            if s.kind == "histogram":
                hist = self.histograms.get(s.name)
                if not hist:
                    continue
                hfam = HistogramMetricFamily(s.name, s.help, labels=s.labels)
                for key, h in sorted(hist.items()):
                    bounds = [*(_le(b) for b in s.buckets), "+Inf"]
                    hfam.add_metric(list(key), list(zip(bounds, h.buckets, strict=True)), h.total)
                yield hfam
                continue
            values = self.scalars.get(s.name)
            if not values:
                continue
            family_type = CounterMetricFamily if s.kind == "counter" else GaugeMetricFamily
            fam = family_type(s.name, s.help, labels=s.labels)
            for key, value in sorted(values.items()):
                fam.add_metric(list(key), value)
            yield fam

    def registry(self) -> CollectorRegistry:
        """A registry of its own that exposes these values."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_ValuesCollector(self))
        return registry


def _le(bound: float) -> str:
    return repr(float(bound))


class _ValuesCollector(Collector):
    def __init__(self, values: MetricValues) -> None:
        self.values = values

    def collect(self) -> Iterable[Metric]:
        return list(self.values.families())


@dataclass(frozen=True)
class PushGroup:
    """The values pushed under one Pushgateway grouping key (`job` plus `labels`, e.g. the index)."""

    job: str
    labels: tuple[tuple[str, str], ...]
    values: MetricValues

    def describe(self) -> str:
        """`job/label=value/...`, for logs."""
        return "/".join([self.job, *(f"{k}={v}" for k, v in self.labels)])
