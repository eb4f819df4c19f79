"""Pushing to a real Pushgateway: grouping keys, counters that add up across runs, failures that never raise."""

from __future__ import annotations

import logging
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from g6_pipeline.metrics import push_asset_check, push_cycle, push_day_minutes, push_weekday_master
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.fakes.servers import Server, free_port
from g6_pipeline_tests.metrics.chains import MINUTE, make_report

pytestmark = pytest.mark.slow


def _settings(url: str | None) -> Settings:
    settings = Settings()
    settings.metrics.pushgateway_url = url
    return settings


def _gateway_samples(server: Server) -> list[tuple[str, dict[str, str], float]]:
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("g6_")
    ]


def _value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    found = [v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_groups_are_job_and_index_and_counters_add_up_across_runs(pushgateway: Server) -> None:
    settings = _settings(pushgateway.url)
    first = push_cycle(make_report(("NIFTY", "BANKNIFTY")), settings)
    assert first.ok and first.pushed == 3
    later = MINUTE + timedelta(minutes=1)
    second = push_cycle(make_report(("NIFTY", "BANKNIFTY"), minute=later, failed=("BANKNIFTY",)), settings)
    assert second.ok

    samples = _gateway_samples(pushgateway)
    groups = {(lab["job"], lab["index"]) for _, lab, _ in samples}
    assert groups == {("g6_collection", "NIFTY"), ("g6_collection", "BANKNIFTY"), ("g6_collection", "all")}
    assert all(set(lab) <= {"job", "index", "instance", "expiry_tag", "status", "reason", "result", "endpoint",
                            "state", "sink", "le"} for _, lab, _ in samples)  # no run id, no stray label
    assert _value(samples, "g6_collection_runs_total", result="ok") == 1
    assert _value(samples, "g6_collection_runs_total", result="degraded") == 1
    assert _value(samples, "g6_provider_calls_total", endpoint="quote", result="ok") == 12
    assert _value(samples, "g6_provider_latency_seconds_count", endpoint="quote") == 6
    assert _value(samples, "g6_collection_duration_seconds_count") == 2
    assert _value(samples, "g6_index_collections_total", index="BANKNIFTY", status="failed") == 1
    # the failed index keeps the time of its last good minute; the good one moves on
    assert _value(samples, "g6_collection_last_success_timestamp_seconds", index="BANKNIFTY") == MINUTE.timestamp()
    assert _value(samples, "g6_collection_last_success_timestamp_seconds", index="NIFTY") == later.timestamp()
    # gauges describe the latest run only
    assert not [n for n, lab, _ in samples if n == "g6_index_price" and lab["index"] == "BANKNIFTY"]


def test_daily_jobs_push_under_their_own_jobs(pushgateway: Server) -> None:
    settings = _settings(pushgateway.url)
    assert push_weekday_master("NIFTY", 375, {"warning": 2}, settings).ok
    assert push_asset_check("no_duplicate_minutes", "NIFTY", True, settings).ok
    assert push_asset_check("no_duplicate_minutes", "NIFTY", False, settings).ok
    assert push_asset_check("legs_complete", "NIFTY", True, settings).ok
    samples = _gateway_samples(pushgateway)
    assert _value(samples, "g6_weekday_master_rows", job="g6_weekday_master", index="NIFTY") == 375
    assert _value(samples, "g6_weekday_master_issues", severity="critical") == 0
    assert _value(samples, "g6_weekday_master_issues", severity="warning") == 2
    check = {"job": "g6_asset_checks", "index": "NIFTY", "check": "no_duplicate_minutes"}
    assert _value(samples, "g6_asset_check_passed", **check) == 0
    assert _value(samples, "g6_asset_check_runs_total", result="passed", **check) == 1
    assert _value(samples, "g6_asset_check_runs_total", result="failed", **check) == 1
    assert _value(samples, "g6_asset_check_passed", check="legs_complete") == 1


def test_a_sealed_days_minutes_are_pushed_live_repaired_and_missing(pushgateway: Server) -> None:
    settings = _settings(pushgateway.url)
    day_open = MINUTE.replace(hour=9, minute=15)
    assert push_day_minutes("NIFTY", day_open, {"live": 360, "repaired": 12}, settings).ok
    samples = _gateway_samples(pushgateway)
    day = {"job": "g6_sealed_days", "index": "NIFTY"}
    assert _value(samples, "g6_day_minute_slots", kind="live", **day) == 360
    assert _value(samples, "g6_day_minute_slots", kind="repaired", **day) == 12
    assert _value(samples, "g6_day_minute_slots", kind="missing", **day) == 0  # a kind not given is 0, not absent
    assert _value(samples, "g6_day_minute_slots_day_timestamp_seconds", **day) == day_open.timestamp()


def test_no_gateway_configured_pushes_nothing() -> None:
    outcome = push_cycle(make_report(("NIFTY",)), _settings(None))
    assert outcome.skipped and outcome.pushed == 0 and outcome.ok


def test_unreachable_gateway_is_logged_and_counted_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://operator:s3cret-pass@127.0.0.1:{free_port()}"
    with caplog.at_level(logging.WARNING):
        outcome = push_cycle(make_report(("NIFTY",)), _settings(url))
    assert not outcome.ok and outcome.failed == 2 and outcome.pushed == 0
    assert "127.0.0.1" in caplog.text
    assert "s3cret-pass" not in caplog.text and "s3cret-pass" not in " ".join(outcome.errors)
