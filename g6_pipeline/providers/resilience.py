"""Retries with exponential backoff and jitter, and a circuit breaker over consecutive failures."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from g6_pipeline.core.report import CircuitState
from g6_pipeline.providers.base import CircuitOpenError


def backoff_delay(attempt: int, base: float, cap: float = 30.0, rng: random.Random | None = None) -> float:
    """Delay before retry `attempt` (0-based): base·2^attempt, capped, plus up to 100 % jitter."""
    r = rng or random
    delay: float = min(cap, base * (2**attempt))
    return delay + r.uniform(0, delay)


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `reset_seconds` lets one trial call through."""

    def __init__(
        self,
        threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._wall = wall
        self.failures = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> CircuitState:
        """closed, open, or half_open (reset time passed, next call is a trial)."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.reset_seconds else "open"

    def check(self, what: str = "provider") -> None:
        """Raise `CircuitOpenError` while the breaker is open."""
        if self.state == "open":
            raise CircuitOpenError(f"{what} {self.describe()}")

    def success(self) -> None:
        """A call succeeded: close the breaker."""
        self.failures = 0
        self._opened_at = None

    def failure(self) -> None:
        """A call failed: count it, and open (or re-open after a failed trial) at the threshold."""
        trial = self.state == "half_open"
        self.failures += 1
        if trial or self.failures >= self.threshold:
            self._opened_at = self._clock()

    def export(self) -> dict[str, Any]:
        """The consecutive failures and when the breaker opened (epoch seconds, or None), for a later process."""
        opened = None if self._opened_at is None else self._wall() - (self._clock() - self._opened_at)
        return {"failures": self.failures, "opened_at": opened}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Take over the counters of `export` from an earlier process (an opening in the future is taken as now)."""
        failures, opened = saved.get("failures"), saved.get("opened_at")
        self.failures = failures if isinstance(failures, int) and failures >= 0 else 0
        if isinstance(opened, (int, float)) and not isinstance(opened, bool):
            age = max(0.0, self._wall() - float(opened))
            self._opened_at = self._clock() - age
        else:
            self._opened_at = None

    def describe(self) -> str:
        """One line for a user: the state, the failures behind it and, while open, when the next try comes."""
        state = self.state
        if state == "closed":
            return f"circuit closed ({self.failures} consecutive failures)"
        assert self._opened_at is not None
        if state == "half_open":
            return f"circuit half-open after {self.failures} consecutive failures; the next call is a trial"
        left = self.reset_seconds - (self._clock() - self._opened_at)
        return f"circuit open after {self.failures} consecutive failures; next try in {left:.0f} s"
