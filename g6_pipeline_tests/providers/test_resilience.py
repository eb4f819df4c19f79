"""The circuit breaker's counters survive the process that counted them."""

from __future__ import annotations

import json

import pytest

from g6_pipeline.providers.base import CircuitOpenError
from g6_pipeline.providers.resilience import CircuitBreaker


class Clocks:
    """A monotonic clock and a wall clock that move together, as in one real process."""

    def __init__(self, monotonic: float, wall: float) -> None:
        self.monotonic, self.wall = monotonic, wall

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds

    def breaker(self, threshold: int = 3, reset_seconds: float = 60.0) -> CircuitBreaker:
        return CircuitBreaker(threshold, reset_seconds, clock=lambda: self.monotonic, wall=lambda: self.wall)


def test_an_open_breaker_stays_open_in_the_next_process_until_its_reset_time() -> None:
    wall = 1_800_000_000.0
    first = Clocks(monotonic=500.0, wall=wall)
    breaker = first.breaker()
    for _ in range(3):
        breaker.failure()
    assert breaker.state == "open"
    first.advance(20)
    saved = json.loads(json.dumps(breaker.export()))  # through the state file's JSON
    assert saved == {"failures": 3, "opened_at": wall}

    # another process, whose monotonic clock has nothing to do with the first one's
    later = Clocks(monotonic=7.0, wall=wall + 30)
    restored = later.breaker()
    restored.restore(saved)
    assert restored.state == "open" and restored.failures == 3
    with pytest.raises(CircuitOpenError, match="next try in 30 s"):
        restored.check("Kite")
    later.advance(30)
    assert restored.state == "half_open"
    restored.failure()  # the trial fails: open again for a full reset time
    assert restored.state == "open"
    later.advance(59)
    assert restored.state == "open"


def test_counted_failures_carry_over_so_the_threshold_is_reached_across_processes() -> None:
    clocks = Clocks(monotonic=1.0, wall=1_800_000_000.0)
    breaker = clocks.breaker(threshold=3)
    breaker.failure()
    breaker.failure()
    nxt = clocks.breaker(threshold=3)
    nxt.restore(breaker.export())
    assert nxt.state == "closed" and nxt.failures == 2
    nxt.failure()
    assert nxt.state == "open"
    nxt.success()
    assert nxt.export() == {"failures": 0, "opened_at": None}


@pytest.mark.parametrize("saved", [{}, {"failures": "x", "opened_at": "yesterday"}, {"failures": -1, "opened_at": True}])
def test_a_damaged_record_restores_a_closed_breaker(saved: dict[str, object]) -> None:
    breaker = Clocks(monotonic=1.0, wall=1_800_000_000.0).breaker()
    breaker.restore(saved)
    assert breaker.state == "closed" and breaker.failures == 0


def test_an_opening_in_the_future_counts_from_now() -> None:
    clocks = Clocks(monotonic=1.0, wall=1_800_000_000.0)
    breaker = clocks.breaker(reset_seconds=60)
    breaker.restore({"failures": 5, "opened_at": clocks.wall + 3600})  # the wall clock was set back
    assert "next try in 60 s" in breaker.describe()
