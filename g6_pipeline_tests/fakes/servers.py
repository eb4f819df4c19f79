"""Real observability servers for tests: Prometheus, Pushgateway and VictoriaMetrics on loopback.

Each starts on a free 127.0.0.1 port in a temporary directory, is waited for until ready and is always
stopped. The binaries come from Debian packages unpacked by `scripts/install-observability.sh`; when they
are absent the test fails (never skips) and says how to install them.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("G6_OBSERVABILITY_DIR", REPO / ".cache" / "observability")) / "usr" / "bin"
PROMETHEUS_DIR = REPO / "prometheus"
INSTALL_HINT = "run scripts/install-observability.sh (installs prometheus, promtool, pushgateway, victoria-metrics)"


def binary(name: str) -> Path:
    """The path of an observability binary; fails the test with the install command when it is absent."""
    path = BIN_DIR / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{name} not found at {path}: {INSTALL_HINT}", pytrace=False)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (`http://127.0.0.1:PORT`), its process and its log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`."""
        return self.url.removeprefix("http://")


@contextmanager
def run_server(
    args: Sequence[str], url: str, ready_path: str, workdir: Path, timeout: float = 20.0,
    headers: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start `args`, wait until `url + ready_path` answers 200 (asked with `headers`), yield the server, then stop it."""
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(list(args), cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{args[0]} exited with {process.returncode}:\n{_tail(log)}", pytrace=False)
            try:
                with urllib.request.urlopen(urllib.request.Request(url + ready_path, headers=dict(headers or {})),
                                            timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{args[0]} not ready within {timeout} s:\n{_tail(log)}", pytrace=False)
            time.sleep(0.05)
        yield Server(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def start_pushgateway(workdir: Path, users: Mapping[str, str] | None = None) -> Iterator[Server]:
    """A Pushgateway with no persistence; with `users` (name → password) every request needs HTTP basic auth
    (its `--web.config.file` with bcrypt hashes)."""
    port = free_port()
    args = [str(binary("prometheus-pushgateway")), f"--web.listen-address=127.0.0.1:{port}"]
    workdir.mkdir(parents=True, exist_ok=True)
    headers: dict[str, str] = {}
    if users:
        import bcrypt  # a dev dependency, needed only here

        hashes = {u: bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode() for u, p in users.items()}
        config = workdir / "web-config.yml"
        config.write_text(yaml.safe_dump({"basic_auth_users": hashes}))
        args.append(f"--web.config.file={config}")
        user, password = next(iter(users.items()))
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    with run_server(args, f"http://127.0.0.1:{port}", "/-/ready", workdir, headers=headers) as server:
        yield server


def prometheus_config(pushgateway: str, interval: str = "1s") -> dict[str, object]:
    """The repository's `prometheus/prometheus.yml`, pointed at `pushgateway` with the given intervals."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = [str(PROMETHEUS_DIR / f) for f in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [pushgateway]}]
    return config


@contextmanager
def start_prometheus(workdir: Path, pushgateway: str) -> Iterator[Server]:
    """Prometheus with the repository's rules, scraping `pushgateway` (`host:port`) every second."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(pushgateway)))
    args = [
        str(binary("prometheus")),
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with run_server(args, f"http://127.0.0.1:{port}", "/-/ready", workdir) as server:
        yield server


@contextmanager
def start_victoria_metrics(workdir: Path, port: int | None = None) -> Iterator[Server]:
    """VictoriaMetrics (InfluxDB line protocol on `/api/v2/write`, PromQL and `/api/v1/export` to read back)."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        str(binary("victoria-metrics")),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={workdir / 'data'}",
        "-retentionPeriod=1d",
        "-search.latencyOffset=0s",
    ]
    with run_server(args, f"http://127.0.0.1:{port}", "/health", workdir) as server:
        yield server


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[Server]:
    """A running Pushgateway, stopped after the test."""
    with start_pushgateway(tmp_path / "pushgateway") as server:
        yield server


@pytest.fixture
def prometheus(tmp_path: Path, pushgateway: Server) -> Iterator[Server]:
    """A running Prometheus scraping the `pushgateway` fixture, stopped after the test."""
    with start_prometheus(tmp_path / "prometheus", pushgateway.address) as server:
        yield server


@pytest.fixture
def victoria_metrics(tmp_path: Path) -> Iterator[Server]:
    """A running VictoriaMetrics, stopped after the test."""
    with start_victoria_metrics(tmp_path / "victoria-metrics") as server:
        yield server
