"""A loopback server speaking Kite Connect v3 over HTTP, serving the synthetic market, scriptable to fail.

It serves whatever the market lists: the indices and every F&O stock, their options in the NFO/BFO dumps and
their own prices (`NSE:NIFTY MID SELECT`, `BSE:BANKEX`, `NSE:RELIANCE`, …) in the NSE/BSE dumps and `/quote`.
`limit_quotes(rate)` answers `/quote` as Kite does over its rate: a request less than 1/`rate` seconds after
the previous accepted one gets 429 NetworkException.

Use `start_kite_server(market, clock=...)` (returns a handle with `.url`, `.requests`, `.fail_next(...)`,
`.stop()`), or the context manager `kite_server(...)` from any test package. Faults are queued per route
prefix and consumed one per request: 429, 403 TokenException, 403 PermissionException, 502 HTML page, slow
responses, dropped connections, and responses with missing quote keys. `fail_during(route, kind, start, end)`
fails every request of the route while the server's clock is in [start, end) (an outage); the accepted access
token can be changed (`handle.access_token = ...`): the old one is then refused with 403 TokenException, and
`/session/token` hands out the new one.

The exchange's clock: `freeze(at)` serves every `/quote` as the market stood at `at`, prices and exchange
timestamps alike (a frozen feed, as when a feed stops mid-session); `close_exchange(last_minute)` does the same
with the last minute of an earlier session, as Kite answers on a holiday (every quote carries that session's
time); `freeze(None)` resumes the live feed.

`/instruments/historical/{token}/minute` serves minute candles derived from the market's minute states: the
close is the market's last price of that minute, the open the previous minute's, the volume the growth of the
market's cumulative day volume over the minute, and the OI (only with `oi=1`) the market's OI.
`omit_candles(token, minutes)` leaves candles out.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket

API_KEY = "testkey"
API_SECRET = "testsecret"
ACCESS_TOKEN = "access-0123456789"
REQUEST_TOKEN = "request-abc"


@dataclass
class Fault:
    """One scripted failure: `kind` in 429, token, permission, 502html, slow, drop, missing_keys, no_content_type."""

    kind: str
    seconds: float = 0.0
    drop_keys: int = 1


@dataclass(frozen=True)
class FaultWindow:
    """A fault served to every request of `route` while the server's clock is in [start, end)."""

    route: str
    fault: Fault
    start: datetime
    end: datetime


@dataclass
class KiteServerHandle:
    """A running loopback Kite server."""

    url: str
    server: ThreadingHTTPServer
    thread: threading.Thread
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    requests: list[tuple[float, str, str]] = field(default_factory=list)
    """(monotonic time, method, path with query) of every request received."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    omitted: dict[int, set[datetime]] = field(default_factory=dict)
    """Per instrument token, the minutes whose historical candle is left out."""
    clock: Callable[[], datetime] = lambda: datetime.now(IST)
    access_token: str = ACCESS_TOKEN
    """The one access token the server accepts (and `/session/token` issues)."""
    windows: list[FaultWindow] = field(default_factory=list)
    frozen_at: datetime | None = None
    """When set, quotes are the market's at this instant (prices and exchange timestamps), whatever the clock."""
    quote_rate: float | None = None
    """`/quote` requests per second accepted (None: no limit)."""
    last_quote: float = -1e9

    def limit_quotes(self, rate: float | None) -> None:
        """Refuse `/quote` requests faster than `rate` a second with 429, as Kite does (None: no limit)."""
        with self.lock:
            self.quote_rate = rate

    def over_rate(self) -> bool:
        """Whether a `/quote` request now exceeds the rate (an accepted one is remembered)."""
        with self.lock:
            now = time.monotonic()
            if self.quote_rate is not None and now - self.last_quote < 1.0 / self.quote_rate:
                return True
            self.last_quote = now
            return False

    def freeze(self, at: datetime | None) -> None:
        """Serve every quote as it stood at `at` (a frozen feed); None serves the clock's quotes again."""
        with self.lock:
            self.frozen_at = at

    def close_exchange(self, last_minute: datetime) -> None:
        """Answer as Kite does when the exchange is closed: every quote as of `last_minute` of an earlier session."""
        self.freeze(last_minute)

    def quote_time(self) -> datetime:
        """The instant the quotes are served for: the frozen one, else the clock's."""
        with self.lock:
            frozen = self.frozen_at
        return frozen if frozen is not None else self.clock()

    def omit_candles(self, token: int, minutes: Iterable[datetime]) -> None:
        """Serve no historical candle of `token` at these minutes (tz-aware)."""
        with self.lock:
            self.omitted.setdefault(int(token), set()).update(minutes)

    def fail_next(self, route: str, kind: str, times: int = 1, seconds: float = 0.0, drop_keys: int = 1) -> None:
        """Queue `times` faults for requests whose path starts with `route` (e.g. '/quote')."""
        with self.lock:
            self.faults.setdefault(route, deque()).extend(Fault(kind, seconds, drop_keys) for _ in range(times))

    def fail_during(self, route: str, kind: str, start: datetime, end: datetime) -> None:
        """Fail every request whose path starts with `route` while the server's clock is in [start, end)."""
        with self.lock:
            self.windows.append(FaultWindow(route, Fault(kind), start, end))

    def take_fault(self, path: str) -> Fault | None:
        """Pop the next fault queued for `path`, else the fault of a window open now, if any."""
        with self.lock:
            for route, queue in self.faults.items():
                if path.startswith(route) and queue:
                    return queue.popleft()
            if self.windows:
                now = self.clock()
                for window in self.windows:
                    if path.startswith(window.route) and window.start <= now < window.end:
                        return window.fault
        return None

    def count(self, route: str) -> int:
        """Requests received whose path starts with `route`."""
        return sum(1 for _, _, p in self.requests if p.startswith(route))

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "data": None, "error_type": kind}


def start_kite_server(
    market: SyntheticMarket,
    clock: Callable[[], datetime] = lambda: datetime.now(IST),
    access_token: str = ACCESS_TOKEN,
) -> KiteServerHandle:
    """Start the server on 127.0.0.1 on a free port; quotes are the market's at `clock()`."""
    holder: dict[str, KiteServerHandle] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, ctype: str | None, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._send(status, json.dumps(payload, default=str).encode(), "application/json")

        def _handle(self, method: str) -> None:
            h = holder["h"]
            parts = urlsplit(self.path)
            h.requests.append((time.monotonic(), method, self.path))
            fault = h.take_fault(parts.path)
            if fault is not None:
                if fault.kind == "slow":
                    time.sleep(fault.seconds)
                elif fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                elif fault.kind == "429":
                    return self._json(429, _error("NetworkException", "Too many requests"))
                elif fault.kind == "token":
                    return self._json(403, _error("TokenException", "Incorrect `api_key` or `access_token`."))
                elif fault.kind == "permission":
                    return self._json(403, _error("PermissionException", "Insufficient permission for that call."))
                elif fault.kind == "502html":
                    return self._send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                elif fault.kind == "no_content_type":
                    return self._send(200, b"{}", None)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode()) if length else {}
            query = parse_qs(parts.query)
            if parts.path == "/session/token" and method == "POST":
                return self._session(form)
            if self.headers.get("X-Kite-Version") != "3":
                return self._json(400, _error("InputException", "X-Kite-Version header missing"))
            if self.headers.get("Authorization") != f"token {API_KEY}:{h.access_token}":
                return self._json(403, _error("TokenException", "Incorrect `api_key` or `access_token`."))
            if parts.path == "/user/profile":
                return self._json(200, {"status": "success", "data": {"user_id": "AB1234", "user_name": "Test"}})
            if parts.path.startswith("/instruments/historical/"):
                return self._historical(parts.path, query)
            if parts.path.startswith("/instruments/"):
                exchange = parts.path.rsplit("/", 1)[1]
                body = gzipped_dump(market, exchange, clock().date())
                return self._send(200, body, "text/csv", {"Content-Encoding": "gzip"})
            if parts.path == "/quote":
                if h.over_rate():
                    return self._json(429, _error("NetworkException", "Too many requests"))
                keys = query.get("i", [])
                if len(keys) > 500:
                    return self._json(400, _error("InputException", "Too many instruments"))
                data = market.quote(keys, h.quote_time())
                if fault is not None and fault.kind == "missing_keys":
                    for key in sorted(k for k in data if ":" in k and not k.startswith(("NSE:", "BSE:")))[: fault.drop_keys]:
                        data.pop(key)
                return self._json(200, {"status": "success", "data": data})
            return self._json(404, _error("GeneralException", "Route not found"))

        def _historical(self, path: str, query: dict[str, list[str]]) -> None:
            try:
                token_text, interval = path.removeprefix("/instruments/historical/").split("/")
                token = int(token_text)
                start, end = (datetime.strptime(query[k][0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST) for k in ("from", "to"))
            except (KeyError, ValueError):
                return self._json(400, _error("InputException", "invalid token or dates"))
            if interval != "minute" or query.get("continuous", ["0"])[0] != "0":
                return self._json(400, _error("InputException", "invalid interval or continuous flag"))
            key = market_key(market, token, start)
            if key is None:
                return self._json(400, _error("InputException", "invalid token"))
            with holder["h"].lock:
                omitted = set(holder["h"].omitted.get(token, ()))
            with_oi = query.get("oi", ["0"])[0] == "1"
            candles = [c if with_oi else c[:6] for c in market_candles(market, key, start, end) if c[0] not in omitted]
            rows = [[c[0].strftime("%Y-%m-%dT%H:%M:%S%z"), *c[1:]] for c in candles]
            return self._json(200, {"status": "success", "data": {"candles": rows}})

        def _session(self, form: dict[str, list[str]]) -> None:
            key = form.get("api_key", [""])[0]
            req = form.get("request_token", [""])[0]
            checksum = hashlib.sha256((key + req + API_SECRET).encode()).hexdigest()
            if key != API_KEY or req != REQUEST_TOKEN or form.get("checksum", [""])[0] != checksum:
                return self._json(403, _error("TokenException", "Token is invalid or has expired."))
            data = {"user_id": "AB1234", "api_key": key, "access_token": holder["h"].access_token, "public_token": "pub",
                    "login_time": clock().strftime("%Y-%m-%d %H:%M:%S")}
            return self._json(200, {"status": "success", "data": data})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="kite-loopback", daemon=True)
    thread.start()
    handle = KiteServerHandle(url=f"http://127.0.0.1:{server.server_address[1]}", server=server, thread=thread,
                              clock=clock, access_token=access_token)
    holder["h"] = handle
    for exchange in ("NSE", "BSE", "NFO", "BFO"):  # made before the first request, which may have a short timeout
        gzipped_dump(market, exchange, clock().date())
    return handle


@lru_cache(maxsize=32)
def gzipped_dump(market: SyntheticMarket, exchange: str, day: date) -> bytes:
    """The market's dump of `exchange` for `day`, gzipped as Kite serves it (made once: NFO lists every F&O
    stock, about 68,000 rows)."""
    return gzip.compress(market.instruments_csv(exchange, day), compresslevel=1)


def market_key(market: SyntheticMarket, token: int, day: datetime) -> str | None:
    """The quote key of an instrument token: an index, or an option listed on `day`."""
    for spec in SPECS.values():
        if spec.spot_token == token:
            return spec.spot_key
    catalog = market.instruments("NFO", day.date()), market.instruments("BFO", day.date())
    for dump in catalog:
        hit = dump.loc[dump["instrument_token"] == token]
        if len(hit):
            return f"{hit['exchange'].iloc[0]}:{hit['tradingsymbol'].iloc[0]}"
    return None


def market_candles(market: SyntheticMarket, key: str, start: datetime, end: datetime) -> list[list[Any]]:
    """[minute, open, high, low, close, volume, oi] for each session minute of the day in [start, end]."""
    out: list[list[Any]] = []
    previous: dict[str, Any] | None = None
    for minute in market.calendar.session_minutes(start.date()):
        if minute > end:
            break
        item = market.quote([key], minute).get(key)
        if item is None:
            previous = None
            continue
        close = float(item["last_price"])
        before = previous or {}
        open_ = float(before.get("last_price", close))
        volume = int(item.get("volume", 0)) - int(before.get("volume", 0))
        if minute >= start:
            out.append([minute, open_, max(open_, close), min(open_, close), close, volume, int(item.get("oi", 0))])
        previous = item
    return out


@contextmanager
def kite_server(market: SyntheticMarket, clock: Callable[[], datetime] = lambda: datetime.now(IST)) -> Iterator[KiteServerHandle]:
    """`start_kite_server` as a context manager (use it inside any pytest fixture)."""
    handle = start_kite_server(market, clock)
    try:
        yield handle
    finally:
        handle.stop()
