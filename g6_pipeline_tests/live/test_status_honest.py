"""Honest status: a token Kite never confirmed is "unchecked", the provider's last error is shown next to the
circuit state (and kept while the circuit is open), and the holiday file's end raises an alert."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport, IndexOutcome, ProviderStats
from g6_pipeline.live import publish
from g6_pipeline.live.status import build_status
from g6_pipeline.live.summary import run_summary
from g6_pipeline.providers import CircuitOpenError, ProviderError
from g6_pipeline.providers.kite import KiteSource
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.ratelimit import TokenBucket
from g6_pipeline.settings.model import KiteSettings
from g6_pipeline_tests.fakes.servers import free_port
from g6_pipeline_tests.live.builders import BASE_MINUTE, SPOTS, make_report, make_settings

NOW = BASE_MINUTE + timedelta(seconds=7)


def _unreachable_kite_stats(tmp_path: Path) -> ProviderStats:
    """What one fetch against an unreachable Kite records, with the token given by KITE_ACCESS_TOKEN."""
    settings = KiteSettings(
        root_url=f"http://127.0.0.1:{free_port()}", api_key="key", access_token=SecretStr("tok-123"),
        timeout_seconds=2.0, max_retries=0, circuit_breaker_failures=1,
    )
    source = KiteSource(settings, TokenStore(tmp_path / "tok"), bucket=TokenBucket(50.0), backoff_base=0.0,
                        sleep=lambda _: None, clock=lambda: BASE_MINUTE)
    stats = ProviderStats()
    source.begin(stats)
    with pytest.raises((ProviderError, CircuitOpenError)):  # the connection is refused
        source.quote(["NSE:NIFTY 50"], BASE_MINUTE)
    return stats


def _failed_report(stats: ProviderStats, minute: datetime = BASE_MINUTE) -> CycleReport:
    outcomes = {n: IndexOutcome(n, "failed", error="not collected", legs_expected=42) for n in SPOTS}
    return make_report(minute=minute, outcomes=outcomes, stats=stats)


def test_an_unconfirmed_token_is_unchecked_and_the_connection_error_is_shown(tmp_path: Path) -> None:
    stats = _unreachable_kite_stats(tmp_path)
    assert stats.token_state == "unchecked"
    assert stats.last_error is not None and stats.last_error.startswith("Kite quote: ")
    assert "tok-123" not in stats.last_error

    publish(_failed_report(stats), make_settings(str(tmp_path)), str(tmp_path), now=NOW)
    provider = json.loads((tmp_path / "runtime_status.json").read_text())["provider"]
    assert provider["token_state"] == "unchecked" and provider["last_error"] == stats.last_error

    out = io.StringIO()
    run_summary(tmp_path, 180.0, once=True, rich=False, out=out, clock=lambda: NOW)
    text = out.getvalue()
    assert "token unchecked" in text and "token valid" not in text
    assert f"circuit {stats.circuit} (last error 10:" in text and "Kite quote: " in text


def test_the_last_error_is_kept_while_the_circuit_stays_open(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    first = build_status(_failed_report(ProviderStats(circuit="open", last_error="Kite quote: ConnectionError: refused")),
                         settings, None, NOW)
    later = build_status(_failed_report(ProviderStats(circuit="open"), BASE_MINUTE + timedelta(minutes=1)),
                         settings, first, NOW + timedelta(minutes=1))
    assert later["provider"]["last_error"] == "Kite quote: ConnectionError: refused"
    assert later["provider"]["last_error_at"] == first["provider"]["last_error_at"]


def test_a_confirmed_token_is_valid(tmp_path: Path) -> None:
    stats = ProviderStats(calls=Counter({("quote", "ok"): 1}), token_state="valid")
    status = build_status(make_report(stats=stats), make_settings(str(tmp_path)), None, NOW)
    assert status["provider"]["token_state"] == "valid" and status["provider"]["last_error"] is None


def _calendar_alerts(tmp_path: Path, minute: datetime, end: date) -> list[dict[str, object]]:
    from dataclasses import replace

    report = replace(make_report(minute=minute), calendar_covered_until=end)
    alerts = build_status(report, make_settings(str(tmp_path)), None, minute)["alerts"]
    return [a for a in alerts if str(a["kind"]).startswith("calendar")]


def test_the_status_warns_when_the_holiday_file_ends_within_30_days(tmp_path: Path) -> None:
    end = date(2026, 12, 31)
    warned = _calendar_alerts(tmp_path, datetime(2026, 12, 1, 10, 0, tzinfo=IST), end)
    assert [(a["severity"], a["kind"]) for a in warned] == [("warning", "calendar_ending")]
    assert "2026-12-31 (30 days left)" in str(warned[0]["message"])
    assert _calendar_alerts(tmp_path, datetime(2026, 11, 30, 10, 0, tzinfo=IST), end) == []
