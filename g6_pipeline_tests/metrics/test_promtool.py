"""promtool on G6's exposition, rules and scrape config (offline, a fraction of a second each)."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from prometheus_client import generate_latest

from g6_pipeline.metrics import record_cycle
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.fakes.servers import PROMETHEUS_DIR, binary
from g6_pipeline_tests.metrics.chains import make_report

pytestmark = pytest.mark.slow


def _promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(binary("promtool")), *args], input=stdin, capture_output=True, timeout=60, check=False)


def test_exposition_of_every_group_passes_promtool_check_metrics() -> None:
    settings = Settings()
    settings.metrics.groups = ["core", "provider", "analytics", "storage", "per_option"]
    report = make_report(("NIFTY", "BANKNIFTY", "SENSEX"), sink_error="disk full")
    for group in record_cycle(report, settings):
        exposition = generate_latest(group.values.registry())
        result = _promtool("check", "metrics", stdin=exposition)
        assert result.returncode == 0 and not result.stdout.strip(), (group.describe(), result.stdout.decode(), result.stderr.decode())


def test_rules_and_config_pass_promtool_check() -> None:
    rules = sorted(str(p) for p in (PROMETHEUS_DIR / "rules").glob("*.yml"))
    checked = _promtool("check", "rules", *rules)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    config = _promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert config.returncode == 0, config.stdout.decode() + config.stderr.decode()


def test_alert_unit_tests_pass_and_cover_every_alert() -> None:
    test_file = PROMETHEUS_DIR / "tests" / "g6-alerts.test.yml"
    result = _promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()

    alerts = {
        rule["alert"]
        for group in yaml.safe_load((PROMETHEUS_DIR / "rules" / "g6-alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    cases = [case for test in yaml.safe_load(test_file.read_text())["tests"] for case in test["alert_rule_test"]]
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    quiet = {c["alertname"] for c in cases if not c["exp_alerts"]}
    assert alerts == firing, f"alerts without a firing test: {alerts - firing}"
    assert alerts == quiet, f"alerts without a not-firing test: {alerts - quiet}"
