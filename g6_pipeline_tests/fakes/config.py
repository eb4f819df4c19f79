"""A throw-away G6 configuration and data directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_CONFIG = Path(__file__).parents[2] / "config"


REPLAY: dict[str, object] = {"late_grace_seconds": None}
"""Tests replay past minutes of the simulated market: the late-run check is off unless a test turns it on."""


def make_config(folder: Path, data_dir: Path, **platform: object) -> Path:
    """A configuration folder with the repository's holidays and the given platform keys (`REPLAY` merged
    under `collection`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "holidays.json").write_text((REPO_CONFIG / "holidays.json").read_text())
    collection = {**REPLAY, **dict(platform.pop("collection", {}) or {})}  # type: ignore[call-overload]
    document = {"data_dir": str(data_dir), "collection": collection, **platform}
    (folder / "platform_config.json").write_text(json.dumps(document))
    return folder


@pytest.fixture
def g6_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(config dir, data dir) for the synthetic provider, exported as G6_CONFIG_DIR."""
    data = tmp_path / "data"
    config = make_config(tmp_path / "config", data)
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    # DAGSTER_HOME too: `make test` exports the project's instance, which no test may write into
    for var in ("G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    yield config, data
