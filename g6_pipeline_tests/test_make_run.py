"""`make run` (scripts/run-dagster.py): one daemon per instance, whatever the port, with how to stop the first."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._daemon.types import DaemonHeartbeat

pytestmark = pytest.mark.slow  # each `make run` here starts Python processes that open a Dagster instance

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "run-dagster.py"
SERVE_UNTIL_CTRL_C = "import pathlib, sys, time\npathlib.Path(sys.argv[1]).touch()\ntry:\n    time.sleep(600)\n" \
                     "except KeyboardInterrupt:\n    sys.exit(0)\nsys.exit(3)"
"""A stand-in for `dagster dev`: says it started (touches a file), then serves until SIGINT."""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "dagster_home"
    folder.mkdir()
    shutil.copy(REPO / "dagster.yaml", folder / "dagster.yaml")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_run(home: Path, port: int, *command: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    return subprocess.Popen([sys.executable, str(SCRIPT), "127.0.0.1", str(port), "--", *command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.fixture
def first(home: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A `make run` serving the instance: (its process, its port)."""
    started = tmp_path / "started"
    port = free_port()
    process = make_run(home, port, sys.executable, "-c", SERVE_UNTIL_CTRL_C, str(started))
    while not started.exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait()


def heartbeat(home: Path, age_seconds: float) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_daemon_heartbeat(DaemonHeartbeat(time.time() - age_seconds, "SENSOR", "elsewhere", []))


def heartbeats(home: Path) -> dict[str, object]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return dict(instance.get_daemon_heartbeats())


def test_a_second_make_run_on_the_same_instance_is_refused_on_any_port(
    home: Path, first: tuple[subprocess.Popen[str], int]
) -> None:
    process, port = first
    code, err = finished(make_run(home, free_port(), "true"))  # PORT=<other>: the hint of a taken port
    assert code == 1
    (line,) = err.splitlines()
    assert f"the instance {home} already has a daemon: `make run` pid {process.pid} serves it on port {port}" in line
    assert f"stop it first (Ctrl-C in its terminal, or `kill {process.pid}`)" in line
    process.terminate()  # `kill PID`, as the line says: the daemon stops as on Ctrl-C
    assert finished(process)[0] == 0
    assert finished(make_run(home, free_port(), "true"))[0] == 0  # the instance is free again


def test_a_live_daemon_started_another_way_is_found_by_its_heartbeat(home: Path) -> None:
    heartbeat(home, age_seconds=12)
    code, err = finished(make_run(home, free_port(), "true"))
    assert code == 1
    (line,) = err.splitlines()
    found = re.search(r"already has a daemon: its heartbeat is (\d+) s old; .* again in (\d+) s", line)
    assert found is not None and line.startswith(f"the instance {home} "), line
    assert 12 <= int(found[1]) <= 60 and int(found[1]) + int(found[2]) == 60  # aged while the check started
    assert "stop that `dagster dev` or `dagster-daemon` first" in line


def test_an_old_heartbeat_does_not_stop_make_run_and_is_wiped_when_it_ends(home: Path) -> None:
    heartbeat(home, age_seconds=300)  # a daemon stopped five minutes ago
    assert finished(make_run(home, free_port(), "true"))[0] == 0
    assert heartbeats(home) == {}


def test_a_port_held_by_another_program_is_named(home: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = int(holder.getsockname()[1])
        code, err = finished(make_run(home, port, "true"))
    assert code == 1
    (line,) = err.splitlines()
    assert f"127.0.0.1:{port} is in use by pid {os.getpid()}" in line and "`make run PORT=<other>`" in line
