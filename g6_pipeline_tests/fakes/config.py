"""A throw-away G6 configuration and data directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_CONFIG = Path(__file__).parents[2] / "config"


def make_config(folder: Path, data_dir: Path, **platform: object) -> Path:
    """A configuration folder with the repository's holidays and the given platform keys."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "holidays.json").write_text((REPO_CONFIG / "holidays.json").read_text())
    (folder / "platform_config.json").write_text(json.dumps({"data_dir": str(data_dir), **platform}))
    return folder


@pytest.fixture
def g6_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(config dir, data dir) for the synthetic provider, exported as G6_CONFIG_DIR.

    Tests replay past minutes of the simulated market, so the late-run check is off here.
    """
    data = tmp_path / "data"
    config = make_config(tmp_path / "config", data, collection={"late_grace_seconds": None})
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    for var in ("G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL"):
        monkeypatch.delenv(var, raising=False)
    yield config, data
