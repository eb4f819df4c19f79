"""The provider interface: one `fetch` per minute returning typed chain snapshots or honest failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

import pandas as pd

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
    skipped: dict[str, str] = field(default_factory=dict)
    """Underlyings not asked for this minute because its quote time ran out first (the lowest in priority),
    with the reason."""


class Provider(Protocol):
    """Anything that turns a set of indices and a minute into snapshots."""

    name: str
    stats: ProviderStats
    """What the last `fetch` saw (a fresh object per fetch)."""

    def fetch(self, indices: Mapping[str, IndexSettings], now: datetime) -> FetchResult:
        """Collect the chains of `indices` for the minute of `now` (tz-aware)."""
        ...


class QuoteSource(Protocol):
    """Where dumps and quotes come from.

    A rate-limited source also has `requests_per_second` (its quote calls' rate, which sets the minute's
    call budget); one without it has no limit.
    """

    max_batch: int

    def begin(self, stats: ProviderStats) -> None:
        """Start a fetch: check credentials and breaker, record into `stats`."""
        ...

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The typed instrument dump of `exchange` for `day`."""
        ...

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        """Kite `/quote` items for at most `max_batch` keys."""
        ...


@runtime_checkable
class KeepsState(Protocol):
    """A source whose answers depend on what it served before (the simulated market's session open), which
    a minute run in a new process must start from."""

    def source_state(self) -> dict[str, Any]:
        """What to keep, JSON-ready."""
        ...

    def restore_source_state(self, state: Mapping[str, Any]) -> None:
        """Start from what an earlier process kept."""
        ...
