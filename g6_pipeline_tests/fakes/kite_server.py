"""A loopback server speaking Kite Connect v3 over HTTP, serving the synthetic market, scriptable to fail.

Use `start_kite_server(market, clock=...)` (returns a handle with `.url`, `.requests`, `.fail_next(...)`,
`.stop()`), or the context manager `kite_server(...)` from any test package. Faults are queued per route
prefix and consumed one per request: 429, 403 TokenException, 502 HTML page, slow responses, dropped
connections, and responses with missing quote keys.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from g6_pipeline.core.clock import IST
from g6_pipeline.providers.synthetic import SyntheticMarket

API_KEY = "testkey"
API_SECRET = "testsecret"
ACCESS_TOKEN = "access-0123456789"
REQUEST_TOKEN = "request-abc"


@dataclass
class Fault:
    """One scripted failure: `kind` in 429, token, 502html, slow, drop, missing_keys, no_content_type."""

    kind: str
    seconds: float = 0.0
    drop_keys: int = 1


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

    def fail_next(self, route: str, kind: str, times: int = 1, seconds: float = 0.0, drop_keys: int = 1) -> None:
        """Queue `times` faults for requests whose path starts with `route` (e.g. '/quote')."""
        with self.lock:
            self.faults.setdefault(route, deque()).extend(Fault(kind, seconds, drop_keys) for _ in range(times))

    def take_fault(self, path: str) -> Fault | None:
        """Pop the next fault queued for `path`, if any."""
        with self.lock:
            for route, queue in self.faults.items():
                if path.startswith(route) and queue:
                    return queue.popleft()
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
            if self.headers.get("Authorization") != f"token {API_KEY}:{access_token}":
                return self._json(403, _error("TokenException", "Incorrect `api_key` or `access_token`."))
            if parts.path == "/user/profile":
                return self._json(200, {"status": "success", "data": {"user_id": "AB1234", "user_name": "Test"}})
            if parts.path.startswith("/instruments/"):
                exchange = parts.path.rsplit("/", 1)[1]
                body = gzip.compress(market.instruments_csv(exchange, clock().date()))
                return self._send(200, body, "text/csv", {"Content-Encoding": "gzip"})
            if parts.path == "/quote":
                keys = query.get("i", [])
                if len(keys) > 500:
                    return self._json(400, _error("InputException", "Too many instruments"))
                data = market.quote(keys, clock())
                if fault is not None and fault.kind == "missing_keys":
                    for key in sorted(k for k in data if ":" in k and not k.startswith(("NSE:", "BSE:")))[: fault.drop_keys]:
                        data.pop(key)
                return self._json(200, {"status": "success", "data": data})
            return self._json(404, _error("GeneralException", "Route not found"))

        def _session(self, form: dict[str, list[str]]) -> None:
            key = form.get("api_key", [""])[0]
            req = form.get("request_token", [""])[0]
            checksum = hashlib.sha256((key + req + API_SECRET).encode()).hexdigest()
            if key != API_KEY or req != REQUEST_TOKEN or form.get("checksum", [""])[0] != checksum:
                return self._json(403, _error("TokenException", "Token is invalid or has expired."))
            data = {"user_id": "AB1234", "api_key": key, "access_token": access_token, "public_token": "pub",
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
    handle = KiteServerHandle(url=f"http://127.0.0.1:{server.server_address[1]}", server=server, thread=thread)
    holder["h"] = handle
    return handle


@contextmanager
def kite_server(market: SyntheticMarket, clock: Callable[[], datetime] = lambda: datetime.now(IST)) -> Iterator[KiteServerHandle]:
    """`start_kite_server` as a context manager (use it inside any pytest fixture)."""
    handle = start_kite_server(market, clock)
    try:
        yield handle
    finally:
        handle.stop()
