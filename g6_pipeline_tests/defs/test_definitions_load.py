"""The definitions load the ways a user loads them: `dagster definitions validate` (as `dagster dev` does,
from `[tool.dagster]`) and `dg check defs` (from `[tool.dg]`), both from the repo root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(command: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_dagster_definitions_validate(tmp_path: Path) -> None:
    done = _run([str(BIN / "dagster"), "definitions", "validate"], tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "g6_pipeline" in done.stdout + done.stderr


@pytest.mark.slow
def test_dg_check_defs(tmp_path: Path) -> None:
    done = _run([str(BIN / "dg"), "check", "defs"], tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr
