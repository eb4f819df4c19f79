"""The dashboard server under hostile or careless clients: idle and slow connections, foreign Host headers, tokens."""

from __future__ import annotations

import http.client
import json
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.core.clock import IST
from g6_pipeline.live import publish
from g6_pipeline.live.server import InsecureBindError, LiveServer, is_loopback
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.live.builders import make_report, make_settings

CONNECTIONS = 200


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    publish(make_report(datetime.now(IST).replace(second=0, microsecond=0)), make_settings(str(tmp_path)), str(tmp_path))
    return tmp_path


@pytest.fixture
def server(data_dir: Path) -> Iterator[LiveServer]:
    with LiveServer(data_dir, host="127.0.0.1", port=0, poll_seconds=0.1, idle_timeout=1.0, request_timeout=2.0,
                    allowed_hosts=["dash.internal"]) as live:
        yield live


def _get(server: LiveServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*server.address, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether a readable socket shows the server's close (EOF, reset, or a final error answer then EOF)."""
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 408")


def _wait_closed(socks: list[socket.socket], limit: float = 60.0) -> int:
    """How many of `socks` the server closed, waiting on their readability (bounded, never a tight clock)."""
    closed = 0
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + limit
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1.0):
                selector.unregister(key.fileobj)
                closed += _closed_by_server(key.fileobj)  # type: ignore[arg-type]
    return closed


@pytest.mark.slow
def test_idle_and_slow_connections_are_dropped_and_hold_no_thread(server: LiveServer) -> None:
    threads_before = threading.active_count()
    idle = [socket.create_connection(server.address, timeout=10) for _ in range(CONNECTIONS)]
    slow = socket.create_connection(server.address, timeout=10)
    try:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        status, body = _get(server, "/health")
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert threading.active_count() == threads_before
        for _ in range(100):  # headers trickle in, never completed: the request timeout ends it
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            if _wait_closed([slow], limit=0.3):
                break
        else:
            pytest.fail("a connection sending headers slowly was never dropped")
        assert _wait_closed(idle) == CONNECTIONS
        assert server.gate.waiting == 0
        assert _get(server, "/health")[0] == 200
    finally:
        for sock in [*idle, slow]:
            sock.close()


@pytest.mark.slow
def test_keep_alive_serves_several_requests_then_idles_out(server: LiveServer) -> None:
    conn = http.client.HTTPConnection(*server.address, timeout=10)
    try:
        for path in ("/health", "/static/app.js", "/health"):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200 and response.getheader("Connection") != "close"
        assert conn.sock is not None
        assert _wait_closed([conn.sock]) == 1
    finally:
        conn.close()


@pytest.mark.slow
def test_a_foreign_host_header_gets_421_not_the_data(server: LiveServer) -> None:
    port = server.address[1]
    for path in ("/", "/health", "/events", "/api/chain?index=NIFTY"):
        status, body = _get(server, path, host=f"attacker.example:{port}")
        assert status == 421 and json.loads(body) == {"error": "unknown host"}
    assert server.hub.client_count == 0
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"dash.internal:{port}",
                 "DASH.internal.", f"192.168.1.20:{port}"):
        assert _get(server, "/health", host=host)[0] == 200, host
    with socket.create_connection(server.address, timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 421")


@pytest.mark.slow
@pytest.mark.parametrize("token", ["", "   "])
def test_a_blank_token_is_no_token(data_dir: Path, token: str) -> None:
    with LiveServer(data_dir, host="127.0.0.1", port=0, auth_token=token) as live:
        assert live.auth_token is None
        status, body = _get(live, "/health")
        assert status == 200 and json.loads(body)["auth"] is False
    with pytest.raises(InsecureBindError, match="auth token is required"):
        LiveServer(data_dir, host="0.0.0.0", port=0, auth_token=token)


def test_loopback_hosts() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.0.0.5", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "192.168.1.20", "dash.internal"))


def test_g6_serve_refuses_a_public_host_with_an_empty_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "platform_config.json").write_text(json.dumps({"live": {"auth_token": ""}}))
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("G6_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("G6_LIVE_AUTH_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve on 0.0.0.0" in lines[0] and "G6_LIVE_AUTH_TOKEN" in lines[0]


def test_g6_live_auth_token_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "platform_config.json").write_text(json.dumps({"live": {"auth_token": "from-file"}}))
    loaded = load_settings(tmp_path, environ={"G6_LIVE_AUTH_TOKEN": "from-env"})
    token = loaded.settings.live.auth_token
    assert token is not None and token.get_secret_value() == "from-env"
    assert loaded.source_of("live.auth_token") == "env G6_LIVE_AUTH_TOKEN"
    assert "from-env" not in repr(loaded.settings)
