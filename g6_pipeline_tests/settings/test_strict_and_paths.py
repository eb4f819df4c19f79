"""Strict types in files and environment, warnings for unknown `G6_*` variables, and relative paths that do
not depend on the current directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import ConfigError, load_settings


def _platform(folder: Path, data: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "platform_config.json").write_text(json.dumps(data))
    return folder


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"storage": {"csv_enabled": "no"}}, "storage.csv_enabled"),
        ({"storage": {"raw_retention_days": "3"}}, "storage.raw_retention_days"),
        ({"kite": {"max_retries": 2.0}}, "kite.max_retries"),
        ({"collection": {"market_hours_gate": 1}}, "collection.market_hours_gate"),
    ],
)
def test_wrong_json_types_are_not_coerced(tmp_path: Path, data: dict[str, object], key: str) -> None:
    folder = _platform(tmp_path / "config", data)
    with pytest.raises(ConfigError) as caught:
        load_settings(folder, environ={})
    message = str(caught.value)
    assert "platform_config.json" in message and f"'{key}'" in message and "\n" not in message


def test_numbers_and_booleans_of_the_right_type_load(tmp_path: Path) -> None:
    folder = _platform(tmp_path / "config", {"storage": {"csv_enabled": False}, "kite": {"timeout_seconds": 5}})
    settings = load_settings(folder, environ={}).settings
    assert settings.storage.csv_enabled is False and settings.kite.timeout_seconds == 5.0


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("1", True), ("FALSE", False), ("0", False)])
def test_boolean_environment_values(tmp_path: Path, text: str, expected: bool) -> None:
    loaded = load_settings(tmp_path, environ={"G6_MARKET_HOURS_GATE": text})
    assert loaded.settings.collection.market_hours_gate is expected
    assert loaded.source_of("collection.market_hours_gate") == "env G6_MARKET_HOURS_GATE"


@pytest.mark.parametrize("text", ["no", "yes", "on", "2"])
def test_other_boolean_words_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=rf"env G6_MARKET_HOURS_GATE='{text}': not a boolean"):
        load_settings(tmp_path, environ={"G6_MARKET_HOURS_GATE": text})


def test_unknown_g6_variables_warn_by_name_with_their_replacement(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {
        "G6_COLLECTION_INTERVAL": "120",
        "G6_INFLUX_ENABLED": "1",
        "G6_ENABLE_METRIC_GROUPS": "core",
        "G6_DISABLE_METRIC_GROUPS": "analytics",
        "G6_CSV_RETENTION_DAYS": "7",
        "G6_TYPO_DIR": "x",
        "G6_DATA_DIR": str(tmp_path / "data"),  # a known override: no warning
        "HOME": "/root",  # not G6_*: ignored
    }
    with caplog.at_level(logging.WARNING, logger="g6_pipeline.settings.loader"):
        loaded = load_settings(tmp_path, environ=environ)
    by_name = {w.split()[2]: w for w in loaded.warnings}
    assert set(by_name) == {
        "G6_COLLECTION_INTERVAL", "G6_INFLUX_ENABLED", "G6_ENABLE_METRIC_GROUPS", "G6_DISABLE_METRIC_GROUPS",
        "G6_CSV_RETENTION_DAYS", "G6_TYPO_DIR",
    }
    assert "influx.url" in by_name["G6_INFLUX_ENABLED"]
    assert "metrics.groups" in by_name["G6_ENABLE_METRIC_GROUPS"]
    assert "metrics.groups" in by_name["G6_DISABLE_METRIC_GROUPS"]
    assert "storage.raw_retention_days" in by_name["G6_CSV_RETENTION_DAYS"]
    assert "not needed: G6 collects once per session minute" in by_name["G6_COLLECTION_INTERVAL"]
    assert by_name["G6_TYPO_DIR"].endswith("has no effect")
    with caplog.at_level(logging.WARNING, logger="g6_pipeline.collection.collector"):
        ProcessSetup.load(loaded)  # the process that uses the configuration reports each warning once
    assert sum("G6_TYPO_DIR" in r.getMessage() for r in caplog.records) == 1


def test_relative_paths_resolve_against_the_config_folder_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    folder = _platform(project / "config", {"data_dir": "store", "kite": {"token_file": "secrets/kite.json"}})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(environ={"G6_CONFIG_DIR": str(folder)}).settings
    assert Path(settings.data_dir) == project / "store"
    assert settings.kite.token_file == project / "config" / "secrets" / "kite.json"


def test_the_default_token_file_lives_in_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _platform(tmp_path / "config", {})
    monkeypatch.chdir(tmp_path / "config")
    settings = load_settings(environ={"G6_CONFIG_DIR": str(folder)}).settings
    assert settings.kite.token_file == tmp_path / "config" / ".kite_token"
    assert Path(settings.data_dir) == tmp_path / "data"


def test_relative_g6_config_dir_resolves_from_the_cwd_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(tmp_path / "config", {})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"G6_CONFIG_DIR": "config"}).settings
    assert settings.kite.token_file.is_absolute() and settings.kite.token_file.parent == tmp_path / "config"


def test_no_config_folder_uses_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={}).settings
    assert Path(settings.data_dir) == tmp_path / "data" and settings.kite.token_file == tmp_path / ".kite_token"


def test_urls_and_absolute_paths_are_kept(tmp_path: Path) -> None:
    folder = _platform(tmp_path / "config", {"data_dir": "s3://bucket/g6", "kite": {"token_file": "/var/tok"}})
    settings = load_settings(folder, environ={}).settings
    assert settings.data_dir == "s3://bucket/g6" and settings.kite.token_file == Path("/var/tok")
