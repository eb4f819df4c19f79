"""A minute's quote calls in batches, in priority order, none started after the minute's deadline.

Keys are asked `size` at a time in the order given (the provider orders them by collection priority: the
indices first, then the stocks). Before each batch the clock is read: once the batch could not start before
the deadline (now plus the rate limit's wait), the rest of the keys are not asked this minute (`unasked`), so
what is left out is the end of the priority order. A batch once started runs its retries (bounded by
`kite.max_retries` and `kite.timeout_seconds`); quotes it receives after the late-run grace are not stored. A failed batch (its retries spent) maps its keys to the reason; an
expired token or an open circuit stops the whole fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from g6_pipeline.providers.base import CircuitOpenError, ProviderError, TokenExpiredError

Answer = TypeVar("Answer")


@dataclass
class Batched(Generic[Answer]):
    """What a run of batches gave."""

    answers: list[Answer] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Key → why its batch failed."""
    unasked: list[str] = field(default_factory=list)
    """Keys not asked: the deadline had passed before their batch."""
    received: dict[str, datetime] = field(default_factory=dict)
    """Key → when its batch was answered (or failed)."""
    calls: int = 0


def in_batches(
    keys: Sequence[str], ask: Callable[[list[str]], Answer], size: int, clock: Callable[[], datetime],
    deadline: datetime | None = None, wait: Callable[[], float] = lambda: 0.0,
    started: Callable[[datetime], None] = lambda _at: None,
) -> Batched[Answer]:
    """`ask` for each batch of at most `size` keys, in order, none started at or after `deadline` (a batch starts
    after the rate limit's `wait`, in seconds); `started` hears when each batch is asked."""
    out: Batched[Answer] = Batched()
    for i in range(0, len(keys), size):
        batch = list(keys[i : i + size])
        if deadline is not None and clock() + timedelta(seconds=wait()) >= deadline:
            out.unasked = list(keys[i:])
            break
        out.calls += 1
        started(clock())
        try:
            out.answers.append(ask(batch))
        except (TokenExpiredError, CircuitOpenError):
            raise
        except ProviderError as exc:
            out.failed.update(dict.fromkeys(batch, str(exc)))
        out.received.update(dict.fromkeys(batch, clock()))
    return out
