"""Runtime status and panels: contents, rolling history, alerts, integrity hashes and their verification."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.core.report import IndexOutcome, ProviderStats, SinkOutcome
from g6_pipeline.live import publish, verify_panels
from g6_pipeline_tests.live.builders import (
    BASE_MINUTE,
    SPOTS,
    make_report,
    make_settings,
    ok_outcome,
    tag_values,
)

PANELS = ("indices", "analytics", "alerts", "storage", "health")


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _kinds(status: dict) -> set[tuple[str, str | None]]:
    return {(a["kind"], a["index"]) for a in status["alerts"]}


def test_status_reports_each_index_from_the_chain(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["NIFTY"] = ok_outcome(
        "NIFTY", BASE_MINUTE, tags={"this_week": tag_values(pcr=1.12, atm_iv=0.131, max_pain=22400.0)}
    )
    publish(make_report(outcomes=outcomes), settings, settings.data_dir, now=BASE_MINUTE + timedelta(seconds=7))

    status = _read(tmp_path / "runtime_status.json")
    nifty = status["indices"]["NIFTY"]
    assert nifty["status"] == "ok"
    assert nifty["ltp"] == SPOTS["NIFTY"]
    assert nifty["pcr"] == 1.12
    assert nifty["atm_iv"] == 0.131
    assert nifty["max_pain"] == 22400.0
    assert nifty["max_pain_distance"] == pytest.approx(22400.0 - SPOTS["NIFTY"])
    assert (nifty["legs_collected"], nifty["legs_missing"]) == (42, 0)
    # the index was fetched 4 s into the minute and the cycle finished 6.5 s into it
    assert nifty["age_seconds"] == pytest.approx(2.5)
    assert status["index_order"] == list(SPOTS)
    assert status["cycle"] == 1
    assert status["success_rate"] == 1.0
    assert status["options_last_cycle"] == 4 * 42
    assert status["provider"]["name"] == "synthetic"
    assert status["provider"]["health"] == "ok"
    assert status["alerts"] == []
    # the near expiry of BANKNIFTY is its monthly one (it has no weeklies)
    assert status["indices"]["BANKNIFTY"]["near_tag"] == "this_month"


def test_missing_values_stay_missing_never_zero(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    values = tag_values()
    values.update(pcr=math.nan, atm_iv=math.inf)
    outcomes = {"NIFTY": ok_outcome("NIFTY", BASE_MINUTE, tags={"this_week": values})}
    publish(make_report(outcomes=outcomes), settings, settings.data_dir, now=BASE_MINUTE)
    nifty = _read(tmp_path / "runtime_status.json")["indices"]["NIFTY"]
    assert nifty["pcr"] is None and nifty["atm_iv"] is None
    analytics = _read(tmp_path / "panels" / "analytics.json")["data"]["indices"][0]
    assert analytics["expiries"][0]["straddle_net_change"] is None
    assert analytics["vix"] is None


def test_cycle_count_last_good_data_and_stale_alert_carry_across_cycles(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path), stale_after_seconds=120)
    publish(make_report(BASE_MINUTE), settings, settings.data_dir, now=BASE_MINUTE)
    failed = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    for step in (1, 2, 3):
        minute = BASE_MINUTE + timedelta(minutes=step)
        failed = {name: ok_outcome(name, minute) for name in SPOTS}
        failed["SENSEX"] = IndexOutcome("SENSEX", "failed", error="quote timed out", legs_expected=42)
        status = publish(make_report(minute, failed), settings, settings.data_dir, now=minute)
    sensex = status["indices"]["SENSEX"]
    assert status["cycle"] == 4
    assert sensex["status"] == "failed"
    assert sensex["ltp"] is None  # no invented price for a failed index
    assert sensex["last_good_at"] == (BASE_MINUTE + timedelta(seconds=4)).isoformat()
    assert sensex["age_seconds"] == pytest.approx(3 * 60 + 2.5)
    assert ("stale_index", "SENSEX") in _kinds(status)
    assert ("index_failed", "SENSEX") in _kinds(status)
    assert ("stale_index", "NIFTY") not in _kinds(status)
    assert status["success_rate"] == 0.75
    assert status["options_last_cycle"] == 3 * 42
    assert status["options_per_minute"] == pytest.approx((4 * 42 + 3 * 3 * 42) / 4)


def test_alerts_for_token_circuit_sink_and_extreme_pcr(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["NIFTY"] = ok_outcome("NIFTY", BASE_MINUTE, tags={"this_week": tag_values(pcr=1.9)})
    outcomes["FINNIFTY"] = ok_outcome("FINNIFTY", BASE_MINUTE, tags={"this_month": tag_values(pcr=0.31)})
    stats = ProviderStats(calls=Counter({("quote", "ok"): 3, ("quote", "NetworkException"): 2}),
                          circuit="open", token_state="expired")
    sinks = [SinkOutcome("parquet", rows=10), SinkOutcome("influx", error="connection refused", points_dropped=7)]
    status = publish(make_report(outcomes=outcomes, stats=stats, sinks=sinks), settings, settings.data_dir, now=BASE_MINUTE)

    kinds = _kinds(status)
    assert {("token_expired", None), ("circuit_open", None), ("sink_failed", None), ("points_dropped", None),
            ("pcr_extreme", "NIFTY"), ("pcr_extreme", "FINNIFTY")} <= kinds
    assert ("pcr_extreme", "SENSEX") not in kinds
    assert status["alerts"][0]["severity"] == "critical"
    assert status["provider"]["health"] == "down"
    assert status["provider"]["api_success_rate"] == pytest.approx(0.6)
    storage = _read(tmp_path / "panels" / "storage.json")["data"]["sinks"]
    assert [(s["sink"], s["ok"]) for s in storage] == [("parquet", True), ("influx", False)]


def test_pcr_alert_follows_the_alert_settings(tmp_path: Path) -> None:
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["NIFTY"] = ok_outcome("NIFTY", BASE_MINUTE, tags={"this_week": tag_values(pcr=1.6)})
    outcomes["SENSEX"] = ok_outcome("SENSEX", BASE_MINUTE, tags={"this_week": tag_values(pcr=1.4)})
    report = make_report(outcomes=outcomes)
    default = publish(report, make_settings(str(tmp_path / "default")), str(tmp_path / "default"), now=BASE_MINUTE)
    assert ("pcr_extreme", "NIFTY") in _kinds(default)
    assert ("pcr_extreme", "SENSEX") not in _kinds(default)

    wider = publish(report, make_settings(str(tmp_path / "wider"), pcr_high=1.7), str(tmp_path / "wider"), now=BASE_MINUTE)
    assert ("pcr_extreme", "NIFTY") not in _kinds(wider)
    narrower = publish(report, make_settings(str(tmp_path / "narrower"), pcr_high=1.3), str(tmp_path / "narrower"), now=BASE_MINUTE)
    assert {("pcr_extreme", "NIFTY"), ("pcr_extreme", "SENSEX")} <= _kinds(narrower)


def test_no_secret_reaches_any_file(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path), live={"auth_token": "live-token-4711"})
    settings.kite.api_secret = "kite-secret-0815"  # type: ignore[assignment]
    settings.kite.access_token = "acc3sst0ken99"  # type: ignore[assignment]
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["NIFTY"] = IndexOutcome("NIFTY", "failed", error="401 for token key:acc3sst0ken99")
    report = make_report(outcomes=outcomes, error="login failed, api_secret=kite-secret-0815",
                         sinks=[SinkOutcome("influx", error="bad auth_token live-token-4711")])
    publish(report, settings, settings.data_dir, now=BASE_MINUTE)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for secret in ("live-token-4711", "kite-secret-0815", "acc3sst0ken99"):
                assert secret not in text, f"{secret} leaked into {path.name}"


def test_envelopes_and_manifest_hash_the_canonical_json(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    publish(make_report(), settings, settings.data_dir, now=BASE_MINUTE + timedelta(seconds=7))
    folder = tmp_path / "panels"
    manifest = _read(folder / "manifest.json")
    assert set(manifest["panels"]) == set(PANELS)
    for name in PANELS:
        doc = _read(folder / f"{name}.json")
        assert set(doc) == {"panel", "version", "generated_at", "data", "meta"}
        assert doc["panel"] == name
        assert doc["meta"]["schema"].startswith("g6.panel.")
        canonical = json.dumps(doc["data"], sort_keys=True, separators=(",", ":"))
        expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert doc["meta"]["hash"] == expected
        assert manifest["panels"][name]["hash"] == expected
    assert not [p for p in tmp_path.rglob("*.tmp")], "temporary files left behind"


def test_history_keeps_sixty_minutes_and_skips_failed_minutes(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    for step in range(75):
        minute = BASE_MINUTE + timedelta(minutes=step)
        outcomes = {"NIFTY": ok_outcome("NIFTY", minute, tags={"this_week": tag_values(straddle=200.0 + step)})}
        if step == 70:
            outcomes["NIFTY"] = IndexOutcome("NIFTY", "failed", error="timeout")
        publish(make_report(minute, outcomes), settings, settings.data_dir, now=minute)
    data = _read(tmp_path / "panels" / "analytics.json")["data"]
    history = data["indices"][0]["history"]
    last = BASE_MINUTE + timedelta(minutes=74)
    assert all(last - timedelta(minutes=60) < datetime.fromisoformat(p["t"]) <= last for p in history)
    assert len(history) == 59  # 60 minutes, less the failed one
    assert [p["straddle"] for p in history][-5:] == [200.0 + s for s in (69, 71, 72, 73, 74)]
    health = _read(tmp_path / "panels" / "health.json")["data"]
    assert len(health["history"]) == 60


def test_verify_panels_reports_tampering_missing_and_stale(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    generated = BASE_MINUTE + timedelta(seconds=7)
    publish(make_report(), settings, settings.data_dir, now=generated)
    assert verify_panels(tmp_path, now=generated + timedelta(seconds=30)) == []

    folder = tmp_path / "panels"
    doc = _read(folder / "analytics.json")
    doc["data"]["indices"][0]["index_price"] = 1.0
    (folder / "analytics.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "storage.json").unlink()
    problems = verify_panels(tmp_path, now=generated + timedelta(seconds=30))
    assert {(p.panel, p.kind) for p in problems} == {("analytics", "hash_mismatch"), ("storage", "missing")}

    stale = verify_panels(tmp_path, now=generated + timedelta(minutes=10), stale_after_seconds=180)
    assert {p.panel for p in stale if p.kind == "stale"} == {"indices", "alerts", "health"}
    assert "10:15" in next(str(p) for p in stale if p.kind == "stale")


def test_verify_panels_flags_manifest_that_disagrees_or_is_broken(tmp_path: Path) -> None:
    settings = make_settings(str(tmp_path))
    publish(make_report(), settings, settings.data_dir, now=BASE_MINUTE)
    manifest_path = tmp_path / "panels" / "manifest.json"
    manifest = _read(manifest_path)
    manifest["panels"]["health"]["hash"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    problems = verify_panels(tmp_path, now=BASE_MINUTE)
    assert [(p.panel, p.kind) for p in problems] == [("health", "hash_mismatch")]

    manifest_path.write_text('{"panels": {"indi', encoding="utf-8")
    problems = verify_panels(tmp_path, now=BASE_MINUTE)
    assert ("manifest", "unreadable") in {(p.panel, p.kind) for p in problems}
    assert verify_panels(tmp_path / "nowhere", now=BASE_MINUTE)[0].kind == "missing"


def test_object_store_data_dir_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    settings = make_settings("s3://bucket/g6")
    with pytest.raises(ValueError, match="local data_dir"):
        publish(make_report(), settings, settings.data_dir)
    publish(make_report(), settings, f"file://{tmp_path}", now=BASE_MINUTE)
    assert (tmp_path / "runtime_status.json").is_file()
