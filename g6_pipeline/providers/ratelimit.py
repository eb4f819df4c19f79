"""A thread-safe token bucket, shared per API root by every provider in the process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most `rate` acquisitions per second on average, bursts up to `capacity`."""

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Seconds `acquire` would wait now (0 when a token is available), without taking one."""
        with self._lock:
            tokens = min(self.capacity, self._tokens + (self._clock() - self._last) * self.rate)
            return max(1.0 - tokens, 0.0) / self.rate

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; return the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)
            self._tokens = 0.0
            self._last = self._clock()
            return wait


_SHARED: dict[tuple[str, float], TokenBucket] = {}
_SHARED_LOCK = threading.Lock()


def shared_bucket(key: str, rate: float) -> TokenBucket:
    """The process-wide bucket for `key` (e.g. the API root and endpoint class) at `rate` per second."""
    with _SHARED_LOCK:
        bucket = _SHARED.get((key, rate))
        if bucket is None:
            bucket = _SHARED[(key, rate)] = TokenBucket(rate)
        return bucket
