"""The catalogue follows Prometheus naming conventions and docs/metrics.md is generated from it."""

from __future__ import annotations

import re

from g6_pipeline.metrics import CATALOGUE
from g6_pipeline.metrics.docs import render
from g6_pipeline_tests.fakes.servers import REPO


def test_names_follow_prometheus_conventions() -> None:
    names = [s.name for s in CATALOGUE]
    assert len(names) == len(set(names))
    for s in CATALOGUE:
        assert re.fullmatch(r"g6_[a-z0-9_]+", s.name), s.name
        assert s.name.endswith("_total") == (s.kind == "counter"), s.name
        assert not re.search(r"_(ms|millis|minutes|mb|kb|percent)(_|$)", s.name), f"{s.name}: use base units"
        assert s.help.endswith(".") and len(s.help) > 10, s.name
        assert all(re.fullmatch(r"[a-z_]+", label) and label != "le" for label in s.labels), s.name


def test_docs_metrics_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/metrics.md is stale: run python -m g6_pipeline.metrics.docs"
    for s in CATALOGUE:
        assert f"`{s.name}`" in committed
