"""The `kite` source: the official `kiteconnect` client, rate-limited, retried and guarded by a breaker.

Quotes go out in batches of at most 500 keys through a token bucket shared by the whole process. Network
errors, HTTP 429/5xx, gateway pages, timeouts and raw connection errors are retried with backoff and
jitter; `TokenException` stops the cycle at once (no retries); repeated failures open the circuit.
Credentials: `KITE_API_KEY`/`KITE_ACCESS_TOKEN` (via settings) or the token store. Historical minute
candles (`historical`, for gap repair) go through their own bucket at Kite's 3 requests/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import ProviderStats
from g6_pipeline.instruments import dump_from_records
from g6_pipeline.providers.base import PermissionDeniedError, ProviderError, TokenExpiredError
from g6_pipeline.providers.kite_token import TokenStore, TokenStoreError
from g6_pipeline.providers.quotes import QUOTE_BATCH
from g6_pipeline.providers.ratelimit import TokenBucket, shared_bucket
from g6_pipeline.providers.resilience import CircuitBreaker, backoff_delay
from g6_pipeline.settings.model import KiteSettings
from g6_pipeline.util.redact import describe_error

RETRYABLE: tuple[type[BaseException], ...] = (
    kex.NetworkException,
    kex.DataException,
    kex.GeneralException,
    requests.RequestException,
    KeyError,
    TypeError,
    ValueError,
)
"""Failures worth another try: Kite's 429/5xx classes, raw `requests` errors, and the client's parse traps."""

HISTORICAL_REQUESTS_PER_SECOND = 3.0
"""Kite's limit on the historical-candles endpoint."""


class KiteSource:
    """A `QuoteSource` over `KiteConnect`."""

    max_batch = QUOTE_BATCH

    def __init__(
        self,
        settings: KiteSettings,
        store: TokenStore,
        bucket: TokenBucket | None = None,
        breaker: CircuitBreaker | None = None,
        backoff_base: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(IST),
        historical_bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.bucket = bucket or shared_bucket(f"{settings.root_url}|quote", settings.requests_per_second)
        self.historical_bucket = historical_bucket or shared_bucket(
            f"{settings.root_url}|historical", HISTORICAL_REQUESTS_PER_SECOND
        )
        self.breaker = breaker or CircuitBreaker(
            settings.circuit_breaker_failures, settings.circuit_breaker_reset_seconds
        )
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._clock = clock
        self._client: KiteConnect | None = None
        self._client_key: tuple[str, str] | None = None
        self.stats = ProviderStats()

    @property
    def requests_per_second(self) -> float:
        """The rate of the quote bucket, shared by every index (sets the minute's quote-call budget)."""
        return self.bucket.rate

    def next_call_in(self) -> float:
        """Seconds until the rate limit lets the next quote call start."""
        return self.bucket.wait_time()

    def _secrets(self) -> list[str]:
        found = [self.settings.api_key or ""]
        if self.settings.access_token is not None:
            found.append(self.settings.access_token.get_secret_value())
        if self._client_key:
            found.extend(self._client_key)
        return [s for s in found if s]

    def _describe(self, exc: BaseException) -> str:
        return describe_error(exc, self._secrets(), limit=300)

    def credentials(self) -> tuple[str, str]:
        """(api_key, access_token) from settings, else from the token store; raise when none is usable."""
        env_token = self.settings.access_token.get_secret_value() if self.settings.access_token else ""
        api_key = self.settings.api_key or ""
        if env_token:
            if not api_key:
                self.stats.token_state = "missing"
                raise TokenExpiredError("KITE_ACCESS_TOKEN is set but KITE_API_KEY is not")
            return api_key, env_token
        try:
            stored = self.store.load()
        except TokenStoreError as exc:
            self.stats.token_state = "missing"
            raise TokenExpiredError(str(exc)) from None
        if stored is None:
            self.stats.token_state = "missing"
            raise TokenExpiredError(f"no Kite access token in {self.store.path}: run `g6 token login`")
        if stored.is_expired(self._clock()):
            self.stats.token_state = "expired"
            raise TokenExpiredError(
                f"the stored Kite token expired at {stored.expires_at:%Y-%m-%d %H:%M} IST: run `g6 token login`"
            )
        return api_key or stored.api_key, stored.access_token

    def client(self) -> KiteConnect:
        """A `KiteConnect` for the current credentials (rebuilt when they change)."""
        key = self.credentials()
        if self._client is None or self._client_key != key:
            self._client = KiteConnect(
                api_key=key[0], access_token=key[1], root=self.settings.root_url,
                timeout=self.settings.timeout_seconds,
            )
            self._client_key = key
        return self._client

    def begin(self, stats: ProviderStats) -> None:
        """Bind this fetch's stats, check the breaker and the credentials."""
        self.stats = stats
        stats.circuit = self.breaker.state
        self.breaker.check("Kite")
        self.client()
        stats.token_state = "unchecked"  # "valid" only once Kite has answered a call with it

    def _call(
        self, endpoint: str, fn: Callable[[KiteConnect], Any], limited: bool, bucket: TokenBucket | None = None
    ) -> Any:
        attempts = self.settings.max_retries + 1
        last = ""
        for attempt in range(attempts):
            self.breaker.check("Kite")
            kite = self.client()
            if limited:
                self.stats.rate_limit_wait_seconds += (bucket or self.bucket).acquire()
            started = time.perf_counter()
            try:
                out = fn(kite)
            except kex.TokenException:
                self._record(endpoint, "TokenException", started)
                self.stats.token_state = "expired"
                raise TokenExpiredError("Kite rejected the access token (TokenException): run `g6 token login`") from None
            except kex.PermissionException as exc:
                self._record(endpoint, "PermissionException", started)
                raise PermissionDeniedError(f"Kite {endpoint}: {self._describe(exc)}") from None
            except (kex.InputException, kex.OrderException) as exc:
                self._record(endpoint, type(exc).__name__, started)
                raise ProviderError(f"Kite {endpoint}: {self._describe(exc)}") from None
            except RETRYABLE as exc:
                self._record(endpoint, type(exc).__name__, started)
                self.breaker.failure()
                self.stats.circuit = self.breaker.state
                last = self._describe(exc)
                self.stats.last_error = f"Kite {endpoint}: {last}"
                if attempt + 1 < attempts and self.breaker.state != "open":
                    self.stats.retries += 1
                    self._sleep(backoff_delay(attempt, self.backoff_base))
                    continue
                self.breaker.check("Kite")
                break
            self._record(endpoint, "ok", started)
            self.stats.token_state = "valid"
            self.breaker.success()
            self.stats.circuit = "closed"
            return out
        raise ProviderError(f"Kite {endpoint} failed after {attempt + 1} attempt(s): {last}")

    def _record(self, endpoint: str, result: str, started: float) -> None:
        self.stats.calls[(endpoint, result)] += 1
        self.stats.latencies.append((endpoint, time.perf_counter() - started))

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The exchange's dump via `KiteConnect.instruments` (the caller caches it per day)."""
        records = self._call("instruments", lambda k: k.instruments(exchange), limited=False)
        return dump_from_records(records, f"Kite {exchange} instrument dump")

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        """`KiteConnect.quote` for at most 500 keys."""
        if len(keys) > QUOTE_BATCH:
            raise ValueError(f"at most {QUOTE_BATCH} keys per quote call, got {len(keys)}")
        out: Mapping[str, Mapping[str, Any]] = self._call("quote", lambda k: k.quote(list(keys)), limited=True)
        if not isinstance(out, Mapping):
            raise ProviderError(f"Kite quote: unexpected response of type {type(out).__name__}")
        return out

    def historical(self, instrument_token: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Minute candles with OI of one instrument from `start` to `end` (IST, inclusive) via
        `KiteConnect.historical_data`: dicts with `date` (tz-aware), open, high, low, close, volume, oi.

        Raises `PermissionDeniedError` when the historical add-on is not subscribed, `TokenExpiredError` on a
        rejected token, `ProviderError` otherwise (after the usual retries).
        """
        first, last = start.astimezone(IST).replace(tzinfo=None), end.astimezone(IST).replace(tzinfo=None)

        def ask(kite: KiteConnect) -> Any:
            return kite.historical_data(int(instrument_token), first, last, "minute", continuous=False, oi=True)

        out = self._call("historical", ask, limited=True, bucket=self.historical_bucket)
        if not isinstance(out, list):
            raise ProviderError(f"Kite historical: unexpected response of type {type(out).__name__}")
        return out
