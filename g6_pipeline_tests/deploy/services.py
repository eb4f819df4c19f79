"""The server processes of the production layout, started for real: a gRPC code server, one dagster-daemon
and the webserver.

Each runs in its own process group on 127.0.0.1 and is always stopped (SIGTERM, then SIGKILL) by its pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from g6_pipeline_tests.fakes.postgres import free_port

BIN = Path(sys.executable).parent


@contextmanager
def _process(argv: Sequence[str], env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv), env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # run workers the daemon or code server started live in the same group: end any left behind
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def code_server(
    target: Sequence[str], env: Mapping[str, str], log: Path, location_name: str = "g6_pipeline"
) -> Iterator[int]:
    """Serve a code location over gRPC (`dagster api grpc <target>`); yields the port once it answers."""
    port = free_port()
    argv = [str(BIN / "dagster"), "api", "grpc", *target, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--location-name", location_name]
    with _process(argv, env, log) as proc:
        _wait_for_port(port, proc, log, timeout=90)
        yield port


@contextmanager
def daemon(workspace: Path, env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run one `dagster-daemon` against the instance in `env["DAGSTER_HOME"]`."""
    argv = [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)]
    with _process(argv, env, log) as proc:
        yield proc


@contextmanager
def webserver(workspace: Path, env: Mapping[str, str], log: Path, timeout: float = 120.0) -> Iterator[str]:
    """Run `dagster-webserver` on a free loopback port; yields its base URL once `/server_info` answers."""
    port = free_port()
    argv = [str(BIN / "dagster-webserver"), "-w", str(workspace), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with _process(argv, env, log) as proc:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"dagster-webserver exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                )
            try:
                if requests.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dagster-webserver not ready within {timeout}s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield url


def grpc_workspace(path: Path, port: int, location_name: str = "g6_pipeline") -> Path:
    """Write a workspace file pointing at a running code server."""
    path.write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
        f"      location_name: {location_name}\n"
    )
    return path


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"code server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"code server did not listen on {port} within {timeout}s:\n{log.read_text()[-3000:]}")
