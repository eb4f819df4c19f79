"""The dashboard server with real HTTP clients: page, health, SSE fan-out, slow clients, auth, client cap."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.live import publish
from g6_pipeline.live.server import LiveServer
from g6_pipeline_tests.live.builders import SPOTS, make_report, make_settings, ok_outcome
from g6_pipeline_tests.live.sse_reader import SSEReader

pytestmark = pytest.mark.slow


def _minute(offset: int = 0) -> datetime:
    return datetime.now(IST).replace(second=0, microsecond=0) + timedelta(minutes=offset)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    publish(make_report(_minute()), make_settings(str(tmp_path)), str(tmp_path))
    return tmp_path


@pytest.fixture
def start_server() -> Iterator[Any]:
    servers: list[LiveServer] = []

    def start(data_dir: Path, **kwargs: Any) -> LiveServer:
        server = LiveServer(data_dir, host="127.0.0.1", port=0, poll_seconds=0.1, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = server.address
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_page_static_files_and_health(data_dir: Path, start_server: Any) -> None:
    server = start_server(data_dir)
    status, headers, body = _get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="/static/app.js"' in body and b"http" not in body.replace(b"http-equiv", b"")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, headers, body = _get(server, "/static/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"innerHTML" not in body
    assert _get(server, "/static/../server.py")[0] == 404
    assert _get(server, "/nothing")[0] == 404
    status, _, body = _get(server, "/health")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["data"] == "live"


def test_several_clients_receive_the_same_updates(data_dir: Path, start_server: Any) -> None:
    server = start_server(data_dir)
    readers = [SSEReader(server.url + "/events") for _ in range(3)]
    try:
        for reader in readers:
            assert reader.status == 200
            assert reader.until("hello")["heartbeat_seconds"] == server.heartbeat_seconds
            snapshot = reader.until("full_snapshot")
            assert snapshot["status"]["cycle"] == 1
            assert set(snapshot["panels"]) == {"indices", "analytics", "alerts", "storage", "health"}
        assert server.hub.client_count == 3

        outcomes = {name: ok_outcome(name, _minute(1)) for name in SPOTS}
        outcomes["NIFTY"] = ok_outcome("NIFTY", _minute(1), spot=22601.5)
        publish(make_report(_minute(1), outcomes), make_settings(str(data_dir)), str(data_dir))
        manifest = json.loads((data_dir / "panels" / "manifest.json").read_text())
        expected = {name: entry["hash"] for name, entry in manifest["panels"].items()}

        for reader in readers:
            seen: dict[str, str] = {}
            status = None
            while len(seen) < 5 or status is None:
                event, data = reader.next()
                if event == "panel_update":
                    seen[data["panel"]] = data["meta"]["hash"]
                    if data["panel"] == "indices":
                        assert data["data"]["indices"][0]["ltp"] == 22601.5
                elif event == "status":
                    status = data
            assert seen == expected
            assert status["cycle"] == 2
    finally:
        for reader in readers:
            reader.close()


def test_a_slow_client_does_not_block_the_others(data_dir: Path, start_server: Any) -> None:
    server = start_server(data_dir, queue_size=8, write_timeout=30)
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(server.address)
    slow.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # and never read
    fast = [SSEReader(server.url + "/events", timeout=30) for _ in range(2)]
    received: list[list[int]] = [[], []]
    count = 120

    def drain(index: int) -> None:
        reader = fast[index]
        while len(received[index]) < count:
            event, data = reader.next()
            if event == "panel_update" and data.get("panel") == "load":
                received[index].append(data["n"])

    threads = [threading.Thread(target=drain, args=(i,), daemon=True) for i in range(2)]
    try:
        for reader in fast:
            reader.until("full_snapshot")
        deadline = time.monotonic() + 60
        while server.hub.client_count < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.hub.client_count == 3
        for thread in threads:
            thread.start()
        blob = "x" * 32_768
        for n in range(count):
            server.hub.publish("panel_update", {"panel": "load", "n": n, "blob": blob})
            time.sleep(0.005)
        for thread in threads:
            thread.join(timeout=120)
        assert received == [list(range(count)), list(range(count))]
        assert server.hub.client_count == 2, "the slow client should have been dropped"
    finally:
        slow.close()
        for reader in fast:
            reader.close()


def test_token_is_required_when_auth_is_on(data_dir: Path, start_server: Any) -> None:
    token = "tok-9f8e7d"
    server = start_server(data_dir, auth_token=token)
    assert _get(server, "/events")[0] == 401
    assert _get(server, "/events?token=wrong")[0] == 401
    assert _get(server, "/events", {"X-API-Token": "wrong"})[0] == 401
    assert server.hub.client_count == 0

    by_header = SSEReader(server.url + "/events", headers={"X-API-Token": token})
    by_query = SSEReader(server.url + f"/events?token={token}")
    try:
        for reader in (by_header, by_query):
            assert reader.status == 200
            reader.until("full_snapshot")
            assert token not in "\n".join(reader.raw)
    finally:
        by_header.close()
        by_query.close()
    for path in ("/", "/health", "/static/app.js"):
        status, _, body = _get(server, path)
        assert status == 200 and token.encode() not in body


def test_client_cap_and_heartbeats(data_dir: Path, start_server: Any) -> None:
    server = start_server(data_dir, max_clients=2, heartbeat_seconds=0.2)
    first, second = SSEReader(server.url + "/events"), SSEReader(server.url + "/events")
    try:
        assert first.until("heartbeat")["time"]
        assert second.status == 200
        status, headers, _ = _get(server, "/events")
        assert status == 503 and headers["Retry-After"] == "5"
    finally:
        first.close()
        second.close()
    deadline = time.monotonic() + 60
    while server.hub.client_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.hub.client_count == 0  # closed clients free their slots


def test_stop_ends_every_stream(data_dir: Path) -> None:
    server = LiveServer(data_dir, port=0, poll_seconds=0.1)
    server.start()
    reader = SSEReader(server.url + "/events")
    reader.until("full_snapshot")
    server.stop()
    with pytest.raises(EOFError):
        while True:
            reader.next()
    reader.close()


def _ignore_sigint() -> None:
    """What a shell does to the children of `cmd &` (and so of `nohup make test &`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_g6_serve_command_binds_loopback_and_stops_on_interrupt(
    data_dir: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    env = {**os.environ, "G6_CONFIG_DIR": str(config_dir), "G6_DATA_DIR": str(data_dir),
           "G6_LIVE_AUTH_TOKEN": "env-tok-51", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen([sys.executable, "-m", "g6_pipeline.cli.main", "serve", "--port", str(port)],
                               env=env, stderr=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint)
    try:
        banner = process.stderr.readline() if process.stderr else ""
        assert f"http://127.0.0.1:{port}/ (token required)" in banner
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/health")
        assert json.loads(conn.getresponse().read())["data"] == "live"
        conn.request("GET", "/events")
        assert conn.getresponse().status == 401
        conn.close()
        process.send_signal(signum)
        assert process.wait(timeout=120) == 128 + signum
        assert process.stderr is not None
        assert process.stderr.read().splitlines()[-1] == (
            f"g6 serve: stopped by {signum.name} (exit {128 + signum})")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
