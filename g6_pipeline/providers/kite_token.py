"""The Kite access-token store: one JSON file, mode 0600, written atomically.

A Kite access token dies around 06:00 IST the morning after it was issued, so a stored token is expired
once the first 06:00 IST after its issue time has passed. Nothing here logs or prints the token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from g6_pipeline.core.clock import IST
from g6_pipeline.util.atomic_file import write_atomic

EXPIRY_HOUR = time(6, 0)


class TokenStoreError(ValueError):
    """The token file exists but cannot be read; the message names the file, never its content."""


def token_deadline(issued_at: datetime) -> datetime:
    """The first 06:00 IST strictly after `issued_at` (tz-aware)."""
    local = issued_at.astimezone(IST)
    six = datetime.combine(local.date(), EXPIRY_HOUR, IST)
    return six if local < six else six + timedelta(days=1)


@dataclass(frozen=True)
class StoredToken:
    """An access token with the API key it belongs to and when it was issued."""

    access_token: str = field(repr=False)
    api_key: str
    issued_at: datetime

    def is_expired(self, now: datetime) -> bool:
        """True once the first 06:00 IST after issue has passed."""
        if now.tzinfo is None:
            raise ValueError("timezone-aware datetime required")
        return now >= token_deadline(self.issued_at)

    @property
    def expires_at(self) -> datetime:
        """When the token stops working (06:00 IST after issue)."""
        return token_deadline(self.issued_at)


class TokenStore:
    """The token file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> StoredToken | None:
        """The stored token, or None when there is no file."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            issued = datetime.fromisoformat(raw["issued_at"])
            if issued.tzinfo is None:
                raise ValueError("naive issued_at")
            return StoredToken(str(raw["access_token"]), str(raw["api_key"]), issued)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise TokenStoreError(f"{self.path}: unreadable token file; run `g6 token clear` then log in again") from None

    def save(self, access_token: str, api_key: str, when: datetime) -> StoredToken:
        """Store a token issued at `when` (tz-aware): temporary file with mode 0600, then rename."""
        if when.tzinfo is None:
            raise ValueError("timezone-aware datetime required")
        token = StoredToken(access_token, api_key, when.astimezone(IST))
        payload = json.dumps({"api_key": api_key, "access_token": access_token, "issued_at": token.issued_at.isoformat()})
        write_atomic(self.path, payload.encode("utf-8"), mode=0o600)
        return token

    def clear(self) -> bool:
        """Remove the token file; True when there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
