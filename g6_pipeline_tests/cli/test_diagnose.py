"""`g6 diagnose`: every failure is reported with its own message, and a healthy setup passes."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from g6_pipeline.cli.diagnose_checks import DiagnoseContext, Finding, diagnose
from g6_pipeline.cli.diagnose_cmd import failed, render
from g6_pipeline.cli.main import main
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline_tests.cli.diagnose_setup import (
    API_KEY,
    GOOD_TOKEN,
    REPO,
    SESSION_MOMENT,
    config_folder,
    context,
    embedded_home,
    kite_api,
    publish_panels,
)
from g6_pipeline_tests.fakes.postgres import free_port


def by_name(ctx: DiagnoseContext) -> dict[str, Finding]:
    return {r.name: r for r in diagnose(ctx)}


def test_healthy_synthetic_setup_passes(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    publish_panels(tmp_path / "data", SESSION_MOMENT - timedelta(seconds=30))
    results = by_name(ctx)
    assert not failed(list(results.values())), render(list(results.values()))
    assert results["instance"].status == "ok" and "Sqlite" in results["instance"].detail
    assert {results[n].status for n in ("pushgateway", "prometheus", "influx")} == {"skip"}


def test_invalid_config_names_file_and_skips_what_needs_it(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    assert ctx.config_dir is not None
    (ctx.config_dir / "platform_config.json").write_text('{"provider": "bloomberg"}')
    results = by_name(ctx)
    assert results["config"].status == "fail"
    assert "platform_config.json" in results["config"].detail and "provider" in results["config"].detail
    assert results["panels"].status == "skip" and "configuration" in results["panels"].detail


def test_invalid_calendar_is_a_config_failure(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    assert ctx.config_dir is not None
    (ctx.config_dir / "holidays.json").write_text("{not json")
    results = by_name(ctx)
    result = results["config"]
    assert result.status == "fail" and "holidays.json" in result.detail
    assert {results[n].status for n in ("calendar", "quote budget")} == {"skip"}  # they need the calendar


def test_kite_token_without_api_key(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"provider": "kite"}, environ={"KITE_ACCESS_TOKEN": GOOD_TOKEN})
    result = by_name(ctx)["token"]
    assert result.status == "fail" and "KITE_API_KEY is not" in result.detail
    assert GOOD_TOKEN not in result.detail


def test_kite_without_access_token(tmp_path: Path) -> None:
    platform = {"provider": "kite", "kite": {"api_key": API_KEY, "token_file": str(tmp_path / "tok.json")}}
    results = by_name(context(tmp_path, platform))
    assert results["token"].status == "fail" and "no Kite access token" in results["token"].detail
    assert results["provider"].status == "skip"


def test_stored_token_expired(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tok.json")
    store.save(GOOD_TOKEN, API_KEY, SESSION_MOMENT - timedelta(days=1))  # died at 06:00 today
    platform = {"provider": "kite", "kite": {"api_key": API_KEY, "token_file": str(store.path)}}
    result = by_name(context(tmp_path, platform))["token"]
    assert result.status == "fail" and "expired" in result.detail and GOOD_TOKEN not in result.detail


def test_stored_token_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "tok.json"
    path.write_text("{not json")
    platform = {"provider": "kite", "kite": {"api_key": API_KEY, "token_file": str(path)}}
    result = by_name(context(tmp_path, platform))["token"]
    assert result.status == "fail" and "unreadable token file" in result.detail


def test_stored_token_used_against_kite(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tok.json")
    store.save(GOOD_TOKEN, API_KEY, SESSION_MOMENT - timedelta(hours=2))
    with kite_api() as root:
        platform = {
            "provider": "kite",
            "kite": {"api_key": API_KEY, "root_url": root, "token_file": str(store.path)},
        }
        results = by_name(context(tmp_path, platform))
    assert results["token"].status == "ok" and "valid until" in results["token"].detail
    assert results["provider"].status == "ok"


def test_kite_reachable_and_token_accepted(tmp_path: Path) -> None:
    with kite_api() as root:
        platform = {"provider": "kite", "kite": {"api_key": API_KEY, "root_url": root}}
        results = by_name(context(tmp_path, platform, environ={"KITE_ACCESS_TOKEN": GOOD_TOKEN}))
    assert results["token"].status == "ok"
    assert results["provider"].status == "ok" and "token accepted" in results["provider"].detail


def test_kite_rejects_the_token(tmp_path: Path) -> None:
    with kite_api() as root:
        platform = {"provider": "kite", "kite": {"api_key": API_KEY, "root_url": root}}
        ctx = context(tmp_path, platform, environ={"KITE_ACCESS_TOKEN": "tok-expired-000"})
        results = by_name(ctx)
    assert results["provider"].status == "fail" and "rejected the access token" in results["provider"].detail
    assert "tok-expired-000" not in render(list(results.values()))


def test_kite_unreachable(tmp_path: Path) -> None:
    root = f"http://127.0.0.1:{free_port()}"
    platform = {"provider": "kite", "kite": {"api_key": API_KEY, "root_url": root}}
    result = by_name(context(tmp_path, platform, environ={"KITE_ACCESS_TOKEN": GOOD_TOKEN}))["provider"]
    assert result.status == "fail" and "unreachable" in result.detail and root in result.detail


def test_dagster_home_unset_and_no_project_instance(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    ctx.environ = {}
    result = by_name(ctx)["instance"]
    assert result.status == "fail" and "DAGSTER_HOME is not set" in result.detail


def test_dagster_home_unset_finds_the_instance_make_run_uses(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    ctx.environ = {}
    project_home = tmp_path / ".dagster_home"  # beside the config folder, as `make run` creates it
    shutil.copytree(embedded_home(tmp_path), project_home)
    result = by_name(ctx)["instance"]
    assert result.status == "ok", result.detail
    assert str(project_home) in result.detail


def test_dagster_home_without_dagster_yaml(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    empty = tmp_path / "empty_home"
    empty.mkdir()
    ctx.environ = {"DAGSTER_HOME": str(empty)}
    result = by_name(ctx)["instance"]
    assert result.status == "fail" and "no dagster.yaml" in result.detail


def test_instance_without_queue_limit(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    home = Path(ctx.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = by_name(ctx)["instance"]
    assert result.status == "fail" and "minute runs could overlap" in result.detail


def test_instance_storage_unreachable_hides_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "pg-Secret-9931"
    env = {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(free_port()),
        "DAGSTER_PG_USERNAME": "g6",
        "DAGSTER_PG_PASSWORD": password,
        "DAGSTER_PG_DB": "g6",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "prod_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text())
    ctx = context(tmp_path, environ={"DAGSTER_HOME": str(home), **env})
    results = by_name(ctx)
    assert results["instance"].status == "fail"
    assert f"PostgreSQL of the Dagster instance at 127.0.0.1:{env['DAGSTER_PG_PORT']} unreachable" in (
        results["instance"].detail
    )
    assert password not in render(list(results.values()))


def test_disk_below_the_minimum(tmp_path: Path) -> None:
    result = by_name(context(tmp_path, min_free_bytes=10**18))["data"]
    assert result.status == "fail" and "GiB free" in result.detail and "need at least" in result.detail


def test_data_directory_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the data folder should be")
    result = by_name(context(tmp_path, {"data_dir": str(blocker)}))["data"]
    assert result.status == "fail" and "not writable" in result.detail


def test_object_store_data_location(tmp_path: Path) -> None:
    results = by_name(context(tmp_path, {"data_dir": "memory://g6-diagnose/data"}))
    assert results["data"].status == "ok" and "memory store writable" in results["data"].detail
    assert results["panels"].status == "skip"


@pytest.mark.parametrize("service", ["pushgateway", "influx", "prometheus"])
def test_metrics_service_unreachable(tmp_path: Path, service: str) -> None:
    url = f"http://g6user:hunter2pw@127.0.0.1:{free_port()}"
    platform = {
        "pushgateway": {"metrics": {"pushgateway_url": url}},
        "influx": {"influx": {"url": url}},
        "prometheus": {},
    }[service]
    ctx = context(tmp_path, platform, prometheus_url=url if service == "prometheus" else None)
    results = by_name(ctx)
    assert results[service].status == "fail" and "unreachable" in results[service].detail
    assert "hunter2pw" not in render(list(results.values()))


def test_panels_never_published(tmp_path: Path) -> None:
    result = by_name(context(tmp_path))["panels"]
    assert result.status == "fail" and "no panels published" in result.detail


def test_panel_tampered(tmp_path: Path) -> None:
    publish_panels(tmp_path / "data", SESSION_MOMENT)
    panel = tmp_path / "data" / "panels" / "indices.json"
    doc = json.loads(panel.read_text())
    doc["data"]["rows"] = [9, 9, 9]
    panel.write_text(json.dumps(doc))
    result = by_name(context(tmp_path))["panels"]
    assert result.status == "fail" and "indices" in result.detail and "hash_mismatch" in result.detail


def test_panels_stale_while_collecting_fail(tmp_path: Path) -> None:
    publish_panels(tmp_path / "data", SESSION_MOMENT - timedelta(minutes=30))
    result = by_name(context(tmp_path))["panels"]
    assert result.status == "fail" and "stale" in result.detail


def test_panels_from_the_close_are_fine_when_the_market_is_shut(tmp_path: Path) -> None:
    close = SESSION_MOMENT.replace(hour=15, minute=29)
    publish_panels(tmp_path / "data", close)
    evening = close + timedelta(hours=5)
    result = by_name(
        context(tmp_path, {"provider": "mock", "collection": {"market_hours_gate": True}}, now=evening)
    )
    assert result["panels"].status == "ok", result["panels"].detail


def test_cli_prints_report_and_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_folder(tmp_path, {"data_dir": str(tmp_path / "data")})
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    monkeypatch.setenv("DAGSTER_HOME", str(embedded_home(tmp_path)))
    assert main(["diagnose"]) == 1  # no panels yet
    out = capsys.readouterr().out
    assert "[FAIL] panels" in out and "1 check(s) failed: panels" in out
    publish_panels(tmp_path / "data", SESSION_MOMENT.now(SESSION_MOMENT.tzinfo))
    assert main(["diagnose"]) == 0
    assert "all checks passed" in capsys.readouterr().out
