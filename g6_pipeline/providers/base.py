"""The provider interface: one `fetch` per minute returning typed chain snapshots or honest failures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from g6_pipeline.core.report import ProviderStats
from g6_pipeline.core.snapshot import ChainSnapshot
from g6_pipeline.settings.model import IndexSettings


class ProviderError(RuntimeError):
    """The provider could not deliver; the message is readable and carries no secret."""


class TokenExpiredError(ProviderError):
    """No usable access token (missing, older than the last 06:00 IST, or rejected): collection stops."""


class CircuitOpenError(ProviderError):
    """Too many consecutive failures: calls are suspended until the breaker's reset time has passed."""


class PermissionDeniedError(ProviderError):
    """Kite answered `PermissionException` (403): the account lacks the product, e.g. the historical add-on."""


@dataclass
class FetchResult:
    """One minute's snapshots, and for each index that could not be collected, the reason in words."""

    snapshots: dict[str, ChainSnapshot] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    closed: dict[str, str] = field(default_factory=dict)
    """Indices not collected because the exchange is closed (every quote of the minute carries an earlier
    session's time), with the reason; nothing is to be stored for them."""


class Provider(Protocol):
    """Anything that turns a set of indices and a minute into snapshots."""

    name: str
    stats: ProviderStats
    """What the last `fetch` saw (a fresh object per fetch)."""

    def fetch(self, indices: Mapping[str, IndexSettings], now: datetime) -> FetchResult:
        """Collect the chains of `indices` for the minute of `now` (tz-aware)."""
        ...
