"""The configuration loader: defaults, files, environment overrides, and an error naming file, key and value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.settings import ConfigError, load_settings


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_defaults_need_no_file(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path, environ={})
    s = loaded.settings
    assert s.provider == "synthetic"
    assert list(s.enabled_indices) == ["NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"]
    assert s.indices["SENSEX"].exchange == "BFO"
    assert s.indices["BANKNIFTY"].expiry_tags == ["this_month", "next_month"]
    assert s.market_hours_gate is False
    assert not s.influx.enabled
    assert loaded.source_of("provider") == "default"


def test_shipped_config_equals_defaults() -> None:
    paths: dict[str, Any] = {"data_dir": True, "kite": {"token_file"}}  # resolved against different bases: see test_paths
    shipped = load_settings(Path(__file__).parents[2] / "config", environ={}).settings
    defaults = load_settings(Path("/nonexistent-g6-config"), environ={}).settings
    assert shipped.model_dump(exclude=paths) == defaults.model_dump(exclude=paths)


def test_files_and_environment_with_sources(tmp_path: Path) -> None:
    platform = write(tmp_path, "platform_config.json", {"provider": "mock", "analytics": {"risk_free_rate": 0.07}})
    indices = write(
        tmp_path,
        "indices_config.json",
        {"NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "expiry_tags": ["this_week"]}},
    )
    env = {"G6_PROVIDER": "kite", "G6_INFLUX_URL": "http://127.0.0.1:8086", "KITE_ACCESS_TOKEN": "tok"}
    loaded = load_settings(tmp_path, environ=env)
    s = loaded.settings
    assert s.provider == "kite" and s.market_hours_gate is True
    assert s.analytics.risk_free_rate == 0.07
    assert list(s.indices) == ["NIFTY"]
    assert s.influx.enabled
    assert loaded.source_of("provider") == "env G6_PROVIDER"
    assert loaded.source_of("analytics.risk_free_rate") == str(platform)
    assert loaded.source_of("indices.NIFTY.expiry_tags") == str(indices)
    assert loaded.source_of("kite.timeout_seconds") == "default"
    # a key the file's section does not name is a default, though its section is in the file
    assert loaded.source_of("analytics.weekday_master_alpha") == "default"
    assert loaded.source_of("indices.NIFTY.strikes_below") == "default"
    assert s.secret_values() == ["tok"]


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("platform_config.json", {"provder": "kite"}, ["platform_config.json", "'provder'", "Extra inputs"]),
        ("platform_config.json", {"provider": "yahoo"}, ["platform_config.json", "'provider'", "'yahoo'"]),
        ("platform_config.json", {"kite": {"timeout_seconds": "soon"}}, ["'kite.timeout_seconds'", "'soon'"]),
        ("platform_config.json", {"metrics": {"groups": ["core", "gpu"]}}, ["'metrics.groups.1'", "'gpu'"]),
        ("platform_config.json", "{not json", ["platform_config.json", "invalid JSON at line 1"]),
        ("platform_config.json", "[1, 2]", ["platform_config.json", "top level must be a JSON object"]),
        (
            "indices_config.json",
            {"NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "expiry_tags": ["this_week"],
                       "strikes_below": -3}},
            ["indices_config.json", "'indices.NIFTY.strikes_below'", "-3", "greater than or equal to 0"],
        ),
        (
            "indices_config.json",
            {"BANKNIFT": {"strikes_below": 3}},
            ["indices_config.json", "'indices.BANKNIFT'", "= 'BANKNIFT'", "closest: BANKNIFTY"],
        ),
        (
            "indices_config.json",
            {"SENSEX": {"exchange": "BSE", "spot_key": "BSE:SENSEX", "expiry_tags": ["this_week"]}},
            ["'indices.SENSEX.exchange'", "'BSE'"],
        ),
        (
            "indices_config.json",
            {"NIFTY": {"enabled": False, "exchange": "NFO", "spot_key": "NSE:NIFTY 50", "expiry_tags": ["this_week"]}},
            ["no index is enabled"],
        ),
    ],
)
def test_bad_input_names_file_key_and_value(
    tmp_path: Path, file_name: str, content: object, expected: list[str]
) -> None:
    write(tmp_path, file_name, content)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    for fragment in expected:
        assert fragment in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"env G6_LOG_LEVEL: key 'log_level' = 'LOUD'"):
        load_settings(tmp_path, environ={"G6_LOG_LEVEL": "LOUD"})
    with pytest.raises(ConfigError, match=r"env G6_PUSHGATEWAY_URL"):
        load_settings(tmp_path, environ={"G6_PUSHGATEWAY_URL": "localhost:9091"})


def test_bad_secret_is_not_echoed(tmp_path: Path) -> None:
    write(tmp_path, "platform_config.json", {"influx": {"token": {"nested": "s3cr3t-value"}}})
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    assert "'influx.token' = ***" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


def test_missing_config_dir_from_env_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="G6_CONFIG_DIR"):
        load_settings(environ={"G6_CONFIG_DIR": str(tmp_path / "nope")})


def test_cli_check_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path))
    assert main(["config", "check"]) == 0
    write(tmp_path, "platform_config.json", {"provider": "yahoo"})
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "platform_config.json: key 'provider' = 'yahoo'" in err


def test_cli_show_masks_secrets_and_names_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("KITE_API_SECRET", "very-secret-api-secret")
    monkeypatch.setenv("G6_INFLUX_TOKEN", "influx-token-value")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-api-secret" not in out and "influx-token-value" not in out
    secret_line = next(line for line in out.splitlines() if line.startswith("kite.api_secret"))
    assert "***" in secret_line and "env KITE_API_SECRET" in secret_line
    assert any(line.startswith("provider ") and line.endswith("default") for line in out.splitlines())


def test_cli_show_masks_a_password_in_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path))
    write(tmp_path, "platform_config.json", {"metrics": {"pushgateway_url": "http://g6:pw-Hunter2@host:9091"}})
    assert main(["config", "show"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("metrics.pushgateway_url"))
    assert "pw-Hunter2" not in line and "http://g6:***@host:9091" in line
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["metrics.pushgateway_url"] == "http://g6:***@host:9091"


def test_bad_url_with_a_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={"G6_PUSHGATEWAY_URL": "ftp://g6:pw-Hunter2@host:9091"})
    assert "env G6_PUSHGATEWAY_URL" in str(caught.value) and "pw-Hunter2" not in str(caught.value)


def test_every_key_and_override_is_documented() -> None:
    from pydantic import BaseModel

    from g6_pipeline.settings import ENV_OVERRIDES
    from g6_pipeline.settings.model import IndexSettings, Settings

    doc = (Path(__file__).parents[2] / "config" / "README.md").read_text()

    def keys(model: type[BaseModel], prefix: str) -> list[str]:
        out = []
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                out += keys(ann, f"{prefix}{name}.")
            elif name != "indices":
                out.append(f"{prefix}{name}")
        return out

    missing = [k for k in keys(Settings, "") + keys(IndexSettings, "<NAME>.") if f"`{k}`" not in doc]
    missing += [v for v in [*ENV_OVERRIDES, "G6_CONFIG_DIR"] if f"`{v}`" not in doc]
    assert not missing, f"undocumented in config/README.md: {missing}"
