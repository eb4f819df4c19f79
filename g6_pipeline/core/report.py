"""The outcome of one collection cycle: what was fetched, computed and written, and how the provider fared.

A `CycleReport` is built once per minute by the collection cycle and handed, read-only, to everything
downstream of the sinks: metrics, runtime status and panels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from g6_pipeline.core.snapshot import EnrichedChain

IndexStatus = Literal["ok", "degraded", "failed", "stale", "closed", "skipped"]
"""`degraded`: some legs missing or unpriced, the rest stored; `failed`: no priced leg, nothing stored;
`stale`: the index's quotes had not advanced for the stale threshold (stored, flagged; `core.freshness`);
`closed`: every quote of the minute carried an earlier session's time, the exchange is closed, nothing stored;
`skipped`: the minute's quote time ran out before this underlying, low in the collection priority, was asked
for (rate limits, a slow provider), nothing stored."""
INDEX_STATUSES: tuple[IndexStatus, ...] = get_args(IndexStatus)
TokenState = Literal["valid", "unchecked", "expired", "missing", "not_required"]
"""`valid` only when Kite answered a call with the token; `unchecked` when it is there but not yet confirmed."""
CircuitState = Literal["closed", "open", "half_open"]
TOKEN_STATES: tuple[TokenState, ...] = get_args(TokenState)
CIRCUIT_STATES: tuple[CircuitState, ...] = get_args(CircuitState)


@dataclass
class ProviderStats:
    """What the provider saw during one cycle (mutable while the cycle runs, read-only afterwards)."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(endpoint, result) → count; result is 'ok' or the error class name, e.g. 'NetworkException'."""
    latencies: list[tuple[str, float]] = field(default_factory=list)
    """(endpoint, seconds) for every HTTP call made."""
    rate_limit_wait_seconds: float = 0.0
    retries: int = 0
    circuit: CircuitState = "closed"
    token_state: TokenState = "not_required"
    last_error: str | None = None
    """The provider's last error in this cycle, cleaned and masked (e.g. the connection error of a call)."""
    quote_calls: int = 0
    """Quote calls the minute made (prices, stored windows and full chains)."""
    first_quote_at: datetime | None = None
    """When the cycle's first quote request was made."""
    last_quote_at: datetime | None = None
    """When its last quote request was made (the spread from the first is how long the minute's quotes took)."""

    def note_quote_request(self, at: datetime) -> None:
        """Record a quote request made at `at`."""
        if self.first_quote_at is None:
            self.first_quote_at = at
        self.last_quote_at = at


@dataclass(frozen=True)
class IndexOutcome:
    """One index in one cycle."""

    index: str
    status: IndexStatus
    chain: EnrichedChain | None = None
    error: str | None = None
    """Why the index failed or is degraded, in words a trader can read."""
    legs_expected: int = 0
    legs_collected: int = 0

    @property
    def legs_missing(self) -> int:
        """Legs requested but not collected."""
        return max(self.legs_expected - self.legs_collected, 0)


@dataclass(frozen=True)
class SinkOutcome:
    """One sink's write of one cycle."""

    sink: str
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    points_dropped: int = 0
    failed_indices: tuple[str, ...] = ()
    """The indices whose minute this sink's error is about (a store of the minute: each is failed in the report
    with the reason, so the error says nothing more)."""


@dataclass(frozen=True)
class CycleReport:
    """Everything one collection cycle did."""

    minute: datetime
    """The collection minute (tz-aware, Asia/Kolkata)."""
    started_at: datetime
    finished_at: datetime
    provider: str
    indices: dict[str, IndexOutcome]
    sinks: list[SinkOutcome] = field(default_factory=list)
    provider_stats: ProviderStats = field(default_factory=ProviderStats)
    error: str | None = None
    """Set when the whole cycle could not run (token expired, provider circuit open, ...)."""
    calendar_covered_until: date | None = None
    """The last day the holiday file covers (set when the report is published), None when unknown."""
    provisional_note: str | None = None
    """Set (when the report is published) when the minute's day is provisional: what that means and the fix
    (`MarketCalendar.provisional_note`)."""

    @property
    def exchange_closed(self) -> str | None:
        """Why the exchange is closed when an index of this minute found it so (nothing stored), else None."""
        return next((o.error for o in self.indices.values() if o.status == "closed"), None)

    @property
    def duration_seconds(self) -> float:
        """Wall time of the cycle."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """True when every index was collected in full and every sink wrote."""
        return (
            self.error is None
            and all(o.status == "ok" for o in self.indices.values())
            and all(s.error is None for s in self.sinks)
        )

    def not_stored(self) -> list[str]:
        """Why the minute is not stored whole, one reason each (empty when it is): the cycle's error, the
        underlyings not collected, not written or skipped (the minute's quote time ran out before them), grouped by
        reason, every sink that failed (wrote nothing or only some underlyings) for another reason."""
        by_reason: dict[str, list[str]] = {}
        for outcome in self.indices.values():
            if outcome.status in ("failed", "skipped"):
                by_reason.setdefault(outcome.error or "not collected", []).append(outcome.index)
        reasons = [self.error] if self.error else []
        reasons += [f"{', '.join(names)}: {why}" for why, names in by_reason.items() if why != self.error]
        failed = {name for names in by_reason.values() for name in names}
        reasons += [f"sink {s.sink}: {s.error}" for s in self.sinks if s.error and s.error not in by_reason
                    and not (s.failed_indices and set(s.failed_indices) <= failed)]
        return reasons

    @property
    def success_rate(self) -> float:
        """Share of indices collected fresh (ok or degraded) among those the open exchange could give: 0.0 when
        nothing was attempted, 1.0 when the exchange was closed for every index (nothing failed)."""
        if not self.indices:
            return 0.0
        tried = [o for o in self.indices.values() if o.status != "closed"]
        if not tried:
            return 1.0
        return sum(1 for o in tried if o.status in ("ok", "degraded")) / len(tried)
