from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.kite_token import TokenStore


def test_expiry_around_six(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / ".kite_token")
    tok = store.save("secret-token", "key", datetime(2026, 11, 19, 8, 30, tzinfo=IST))
    assert not tok.is_expired(datetime(2026, 11, 20, 5, 59, tzinfo=IST))
    assert tok.is_expired(datetime(2026, 11, 20, 6, 0, tzinfo=IST))
    early = store.save("secret-token", "key", datetime(2026, 11, 19, 5, 0, tzinfo=IST))
    assert early.is_expired(datetime(2026, 11, 19, 6, 1, tzinfo=IST))
    assert not early.is_expired(datetime(2026, 11, 19, 5, 59, tzinfo=IST))


def test_file_mode_roundtrip_and_clear(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "sub" / ".kite_token")
    store.save("secret-token", "key", datetime(2026, 11, 19, 8, 30, tzinfo=IST))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    loaded = store.load()
    assert loaded is not None and loaded.access_token == "secret-token" and loaded.api_key == "key"
    assert "secret-token" not in repr(loaded)
    assert [p.name for p in store.path.parent.iterdir()] == [".kite_token"]
    assert store.clear() and store.load() is None and not store.clear()
