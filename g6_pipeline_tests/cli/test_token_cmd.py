from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from g6_pipeline.cli import token_cmd
from g6_pipeline_tests.fakes.kite_server import (
    ACCESS_TOKEN,
    API_KEY,
    API_SECRET,
    REQUEST_TOKEN,
    KiteServerHandle,
)

pytestmark = pytest.mark.slow


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    token_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["token", *argv])
    code: int = args.handler(args)
    return code


def test_login_status_clear(server: KiteServerHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("G6_CONFIG_DIR", raising=False)
    monkeypatch.setenv("G6_KITE_ROOT_URL", server.url)
    monkeypatch.setenv("KITE_API_KEY", API_KEY)
    monkeypatch.setenv("KITE_API_SECRET", API_SECRET)
    assert run("status") == 1
    assert run("login", "--request-token", "wrong") == 1
    assert run("login", "--request-token", REQUEST_TOKEN) == 0
    assert (tmp_path / ".kite_token").stat().st_mode & 0o777 == 0o600
    assert run("status", "--check") == 0
    out = capsys.readouterr()
    assert "server check: ok" in out.out
    assert ACCESS_TOKEN not in out.out + out.err and API_SECRET not in out.out + out.err
    assert run("clear") == 0 and not (tmp_path / ".kite_token").exists()
