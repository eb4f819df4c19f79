"""The PostgreSQL test server: a missing server package is a failure that says how to install it."""

from __future__ import annotations

from pathlib import Path

import pytest

from g6_pipeline_tests.fakes import postgres


def test_missing_binaries_fail_with_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(postgres, "PG_BIN", tmp_path / "no-such-bin")
    with pytest.raises(RuntimeError, match=r"apt-get install -y postgresql-15"), postgres.running_postgres():
        pass
