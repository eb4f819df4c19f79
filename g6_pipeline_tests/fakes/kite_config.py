"""A G6 configuration folder for the kite provider, pointed at a loopback Kite server, with a fresh token."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline_tests.fakes.config import REPLAY
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN

REPO_CONFIG = Path(__file__).parents[2] / "config"
API_KEY = "testkey"


def write_kite_config(root: Path, server_url: str, strikes: int = 3) -> Path:
    """`root/config` for NIFTY and SENSEX (this week, ATM ± `strikes`) through `server_url`; data in `root/data`.

    The stored token was issued up to an hour ago by the real clock (`valid_issue_time`), which is what the provider judges it by.
    Tests replay past minutes, so the late-run check is off.
    """
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "holidays.json").write_text((REPO_CONFIG / "holidays.json").read_text())
    token_file = root / "kite_token"
    (config / "platform_config.json").write_text(json.dumps({
        "provider": "kite",
        "data_dir": str(root / "data"),
        "collection": REPLAY,
        "kite": {"api_key": API_KEY, "root_url": server_url, "token_file": str(token_file),
                 "requests_per_second": 10, "timeout_seconds": 2, "max_retries": 1},
    }))
    (config / "indices_config.json").write_text(json.dumps({
        name: {"exchange": exchange, "spot_key": key, "strikes_below": strikes, "strikes_above": strikes,
               "expiry_tags": ["this_week"]}
        for name, exchange, key in (("NIFTY", "NFO", "NSE:NIFTY 50"), ("SENSEX", "BFO", "BSE:SENSEX"))
    }))
    issue_token(token_file, valid_issue_time())
    return config


def valid_issue_time() -> datetime:
    """An issue time whose token is valid now: up to an hour ago, but after the last 06:00 IST (Kite's tokens
    die at the first 06:00 IST after their login)."""
    now = datetime.now(IST)
    last_six = now.replace(hour=6, minute=0, second=0, microsecond=0)
    if last_six > now:
        last_six -= timedelta(days=1)
    return max(now - timedelta(hours=1), last_six + timedelta(minutes=1))


def issue_token(token_file: Path, when: datetime) -> None:
    """Store the loopback server's access token as issued at `when`."""
    TokenStore(token_file).save(ACCESS_TOKEN, API_KEY, when)
