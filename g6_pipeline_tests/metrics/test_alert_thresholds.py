"""The Prometheus alert rules and `settings.alerts` hold the same thresholds: changing one alone fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from g6_pipeline.settings.model import AlertSettings
from g6_pipeline_tests.fakes.servers import PROMETHEUS_DIR

NUMBER = r"(\d+(?:\.\d+)?)"


def _rules(file: str, key: str) -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "rules" / file).read_text(encoding="utf-8"))["groups"]
    return {rule[key]: rule for group in groups for rule in group["rules"] if key in rule}


def _threshold(alert: str, pattern: str) -> float:
    expr = " ".join(_rules("g6-alerts.yml", "alert")[alert]["expr"].split())
    found = re.search(pattern, expr)
    assert found is not None, f"{alert}: {pattern!r} not found in {expr!r}"
    return float(found.group(1))


@pytest.fixture(scope="module")
def defaults() -> AlertSettings:
    return AlertSettings()


def test_pcr_extreme_fires_outside_the_settings_band(defaults: AlertSettings) -> None:
    assert _threshold("G6PCRExtreme", rf"g6:pcr:avg5m > {NUMBER}") == defaults.pcr_high
    assert _threshold("G6PCRExtreme", rf"g6:pcr:avg5m < {NUMBER}") == defaults.pcr_low
    description = _rules("g6-alerts.yml", "alert")["G6PCRExtreme"]["annotations"]["description"]
    assert f"{defaults.pcr_low:g}-{defaults.pcr_high:g}" in description


def test_failure_rate_fires_below_the_settings_success_floor(defaults: AlertSettings) -> None:
    ratio = "g6:collection_success_ratio:5m"
    assert _threshold("G6CollectionFailureRateHigh", rf"{ratio} < {NUMBER}") == defaults.min_success_ratio
    assert ratio in _rules("g6-recording.yml", "record"), f"{ratio} is not recorded"


def test_stale_fires_after_the_settings_age(defaults: AlertSettings) -> None:
    pattern = rf"time\(\) - g6_collection_last_success_timestamp_seconds\) > {NUMBER}"
    assert _threshold("G6CollectionStale", pattern) == defaults.stale_after_seconds


def test_quotes_stale_fires_after_the_settings_quote_age(defaults: AlertSettings) -> None:
    assert _threshold("G6QuotesStale", rf"g6_quote_age_seconds\) > {NUMBER}") == defaults.quote_stale_seconds
    description = " ".join(_rules("g6-alerts.yml", "alert")["G6QuotesStale"]["annotations"]["description"].split())
    assert f"more than {defaults.quote_stale_seconds / 60:g} minutes old" in description
