"""`g6 serve`: the live browser dashboard over HTTP, standard library only.

Routes: `GET /` (the page), `GET /static/<file>` (its script and style), `GET /events` (Server-Sent Events:
`hello`, a `full_snapshot` on connect, then `status` and `panel_update` events and `heartbeat`s),
`GET /health` and the chain screen's JSON (`/api/chain`, `/api/smile`, `/api/oi`, `/api/intraday`, see
`chain_api`). With an auth token configured, `/events` and the `/api/` routes need it in the `X-API-Token`
header or the `token` query parameter. Request lines are never logged, so a token in a URL never reaches a log.

Hardening: a request whose `Host` is not an allowed name gets 421 (DNS rebinding); connections wait in the
`gate` until their headers are complete (idle and request timeouts) and are then served by a fixed pool of
workers; an empty token counts as no token, and a host reachable from other machines needs one.
"""

from __future__ import annotations

import hmac
import html
import io
import ipaddress
import json
import logging
import queue
import socket
import threading
from collections.abc import Iterable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.live import chain_api
from g6_pipeline.live.events import Client, Hub, encode_event, heartbeat_frame
from g6_pipeline.live.gate import Gate, Request
from g6_pipeline.live.jsonfile import LiveDir, live_location
from g6_pipeline.live.numbers import NumberFormat

log = logging.getLogger(__name__)

STATIC_FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "chain.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "numbers.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _static(name: str) -> bytes:
    return (resources.files("g6_pipeline.live") / "static" / name).read_bytes()


PAGE_ROOT = b'<html lang="en">'


def page_html(numbers: NumberFormat, simulated: bool) -> bytes:
    """The page, its `<html>` element carrying the number style and whether the configured market is simulated."""
    attributes = {"number-locale": numbers.locale, "quantities": numbers.quantities,
                  "simulated": "true" if simulated else "false"}  # fmt: skip
    root = '<html lang="en"' + "".join(f' data-{k}="{html.escape(v)}"' for k, v in attributes.items()) + ">"
    page = _static("index.html")
    if PAGE_ROOT not in page:
        raise RuntimeError("index.html lost its <html lang=\"en\"> element")
    return page.replace(PAGE_ROOT, root.encode("utf-8"), 1)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "g6-live"
    sys_version = ""
    routes: ClassVar[dict[str, str]] = {"/": "index.html", "/index.html": "index.html"}

    def __init__(self, request: Request, server: _Server) -> None:
        self.head = request.head
        super().__init__(request.sock, request.address, server)

    def setup(self) -> None:
        """Read the header block the gate collected; write straight to the socket."""
        self.connection = self.request
        self.rfile = io.BytesIO(self.head)
        self.wfile = _SocketWriter(self.connection)

    def handle(self) -> None:
        """Serve exactly one request (the gate takes a keep-alive connection back)."""
        self.close_connection = True
        self.handle_one_request()
        headers = getattr(self, "headers", None)
        if headers is not None and (headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in headers):
            self.close_connection = True  # a body is never read, so the connection cannot be reused

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the route and status only (never the query string, which may hold a token)."""
        log.debug("%s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the base class's stderr lines (they carry the full request line)."""

    def do_GET(self) -> None:
        """Serve one GET."""
        if not self.server.live.host_allowed(self.headers.get_all("Host") or []):
            self.close_connection = True
            self._send_json(HTTPStatus.MISDIRECTED_REQUEST, {"error": "unknown host"})
            return
        url = urlsplit(self.path)
        path = url.path
        if path in self.routes or path.startswith("/static/"):
            name = self.routes.get(path) or path.removeprefix("/static/")
            if name not in STATIC_FILES:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            body = self.server.live.page if name == "index.html" else _static(name)
            self._send(HTTPStatus.OK, body, STATIC_FILES[name])
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif path == "/health":
            self._send_json(HTTPStatus.OK, self.server.live.health())
        elif path == "/events":
            if not self._authorised(parse_qs(url.query).get("token", [None])[0]):
                self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "a valid token is required"})
                return
            self._stream()
        elif path in chain_api.PARAMETERS:
            query = parse_qs(url.query, keep_blank_values=True)
            if not self._authorised(query.get("token", [None])[0]):
                self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "a valid token is required"})
                return
            self._send_json(*chain_api.answer(path, query, self.server.live.location, self.server.live.numbers,
                                             self.server.live.calendar))
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _authorised(self, query_token: str | None) -> bool:
        expected = self.server.live.auth_token
        if expected is None:
            return True
        given = self.headers.get("X-API-Token") or query_token or ""
        return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: HTTPStatus, data: Any, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode("utf-8")
        self._send(status, body, "application/json", extra)

    def _stream(self) -> None:
        live = self.server.live
        client = live.hub.connect(self.connection)
        if client is None:
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "too many clients"}, {"Retry-After": "5"})
            return
        try:
            self.connection.settimeout(live.write_timeout)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.send_header("X-Accel-Buffering", "no")
            self.end_headers()
            hello = {"server_time": datetime.now(IST).isoformat(), "heartbeat_seconds": live.heartbeat_seconds,
                     "stale_after_seconds": live.stale_after_seconds, "retry_ms": 3000}
            self.wfile.write(b"retry: 3000\n\n" + encode_event("hello", hello))
            self._pump(client)
        except OSError:
            pass  # the client went away or was dropped for falling behind
        finally:
            live.hub.disconnect(client)
            self.close_connection = True

    def _pump(self, client: Client) -> None:
        live = self.server.live
        while not live.stopping.is_set():
            try:
                frame = client.queue.get(timeout=live.heartbeat_seconds)
            except queue.Empty:
                frame = heartbeat_frame()
            if frame is None:
                return
            self.wfile.write(frame)
            self.wfile.flush()


class _SocketWriter(io.BufferedIOBase):
    """A write-only file over a socket that sends everything at once (as `socketserver` does)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def writable(self) -> bool:
        """Always writable."""
        return True

    def write(self, data: Any) -> int:
        """Send all of `data`."""
        self._sock.sendall(data)
        return len(memoryview(data))


class _Server(HTTPServer):
    """Accepts connections (backlog 128) and hands each to the gate; no thread per connection."""

    request_queue_size = 128
    live: LiveServer

    def __init__(self, address: tuple[str, int], live: LiveServer) -> None:
        self.live = live
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)  # type: ignore[arg-type]  # built with the gate's Request

    def process_request(self, request: Any, client_address: Any) -> None:
        """Let the gate wait for the request headers."""
        self.live.gate.add(request, client_address)


class InsecureBindError(ValueError):
    """A host reachable from other machines was asked for without an auth token."""


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def effective_token(token: str | None) -> str | None:
    """The token that guards the server: None when unset or blank (a blank token is no token, never a password)."""
    return token if token is not None and token.strip() else None


def _host_name(value: str) -> str:
    """The name part of a Host header, lower-case, without the port or brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    name, colon, port = value.rpartition(":")
    return name.rstrip(".") if colon and port.isdigit() and ":" not in name else value.rstrip(".")


class LiveServer:
    """The dashboard server over one data folder; `start()` runs it in background threads, `stop()` ends it.

    `allowed_hosts` are the names (besides the bound host, localhost and IP addresses) a `Host` header may carry;
    `numbers` is how the page writes numbers, `simulated` whether the configured provider is a simulated market,
    `calendar` the market calendar the days-to-expiry master's sessions are counted by.
    Raises `InsecureBindError` for a host reachable from other machines without a token, `OSError` when the
    address cannot be bound.
    """

    def __init__(
        self,
        where: LiveDir,
        host: str = "127.0.0.1",
        port: int = 9320,
        auth_token: str | None = None,
        max_clients: int = 32,
        stale_after_seconds: float = 180.0,
        heartbeat_seconds: float = 15.0,
        poll_seconds: float = 0.5,
        queue_size: int = 64,
        write_timeout: float = 10.0,
        allowed_hosts: Iterable[str] = (),
        idle_timeout: float = 5.0,
        request_timeout: float = 10.0,
        numbers: NumberFormat | None = None,
        simulated: bool = False,
        calendar: MarketCalendar | None = None,
    ) -> None:
        self.auth_token = effective_token(auth_token)
        if self.auth_token is None and not is_loopback(host):
            raise InsecureBindError(f"{host} is reachable from other machines: an auth token is required")
        self.location = live_location(where)
        self.hub = Hub(self.location, max_clients=max_clients, queue_size=queue_size)
        self.numbers = numbers or NumberFormat()
        self.calendar = calendar
        self.page = page_html(self.numbers, simulated)
        self.stale_after_seconds = stale_after_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.poll_seconds = poll_seconds
        self.write_timeout = write_timeout
        self.allowed_hosts = frozenset(_host_name(name) for name in (host, "localhost", *allowed_hosts))
        self.stopping = threading.Event()
        self._httpd = _Server((host, port), self)
        self.gate = Gate(self._serve, workers=max_clients + 8, idle_timeout=idle_timeout,
                         request_timeout=request_timeout, write_timeout=write_timeout)
        self._threads: list[threading.Thread] = []

    def host_allowed(self, values: list[str]) -> bool:
        """Whether a request's `Host` headers name this server (absent is fine; two are not)."""
        if not values:
            return True
        if len(values) > 1:
            return False
        name = _host_name(values[0])
        if name in self.allowed_hosts:
            return True
        try:
            ipaddress.ip_address(name)  # an address literal cannot be a rebinding name
        except ValueError:
            return False
        return True

    def _serve(self, request: Request) -> bool:
        handler = _Handler(request, self._httpd)
        return not handler.close_connection

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound (port 0 asks for a free one)."""
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """The base URL of the dashboard."""
        host, port = self.address
        return f"http://{host}:{port}"

    def health(self) -> dict[str, Any]:
        """What `/health` answers: liveness, clients, and whether the data is fresh (no secrets, no data)."""
        status = self.hub.snapshot()["status"]
        generated = status.get("generated_at") if isinstance(status, dict) else None
        data = "none"
        if isinstance(generated, str):
            try:
                age = (datetime.now(IST) - datetime.fromisoformat(generated)).total_seconds()
                data = "stale" if age > self.stale_after_seconds else "live"
            except (ValueError, TypeError):
                data = "none"
        return {"status": "ok", "clients": self.hub.client_count, "max_clients": self.hub.max_clients,
                "data": data, "data_generated_at": generated, "auth": self.auth_token is not None}

    def start(self) -> None:
        """Read the files once, then serve and watch in daemon threads."""
        self.hub.poll()
        watcher = threading.Thread(target=self.hub.run, args=(self.stopping, self.poll_seconds),
                                   name="g6-live-watch", daemon=True)
        server = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="g6-live-http", daemon=True)
        self._threads = [watcher, server]
        self.gate.start()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Disconnect every client and stop serving."""
        self.stopping.set()
        self.hub.close_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.gate.stop()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
