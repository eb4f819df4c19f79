"""A real, throw-away PostgreSQL 15 server for tests: initdb in a temporary folder, 127.0.0.1 on a free port.

The server binaries come from Debian's `postgresql-15` package. PostgreSQL refuses to run as root, so when the
tests run as root the server runs as the `postgres` system user (created by that package) through `runuser`.
The server and its folder are always stopped and removed, also when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2

PG_BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = (
    "PostgreSQL 15 server binaries not found in {bin}; install them with `apt-get install -y postgresql-15`"
)
SERVER_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    """Where a running test server listens and how to log in (password authentication over TCP)."""

    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection string for one database."""
        return (
            f"host={self.host} port={self.port} user={self.user} password={self.password} dbname={database}"
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its name."""
        conn = psycopg2.connect(self.dsn())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name

    def dagster_env(self, database: str) -> dict[str, str]:
        """The environment `deploy/dagster.yaml` reads its PostgreSQL credentials from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": database,
        }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise RuntimeError("running as root needs `runuser` (util-linux) to start PostgreSQL as 'postgres'")
    return ["runuser", "-u", SERVER_USER, "--", *argv]


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        )


@contextlib.contextmanager
def running_postgres(user: str = "g6") -> Iterator[PostgresServer]:
    """Start a fresh PostgreSQL server for the duration of the block, then stop it and delete its files."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).is_file():
            raise RuntimeError(INSTALL_HINT.format(bin=PG_BIN))
    root = Path(tempfile.mkdtemp(prefix="g6-pg-"))
    data_dir = root / "data"
    password = secrets.token_urlsafe(16)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, user=SERVER_USER)
        shutil.chown(pwfile, user=SERVER_USER)
    os.chmod(root, 0o700)
    port = free_port()
    started = False
    try:
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            "initdb",
        )
        pwfile.unlink()
        options = (
            f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
        )
        started = True
        server = PostgresServer(host="127.0.0.1", port=port, user=user, password=password, data_dir=data_dir)
        _wait_ready(server)
        yield server
    finally:
        if started:
            _stop(data_dir)
        shutil.rmtree(root, ignore_errors=True)


def _stop(data_dir: Path) -> None:
    try:
        _run(
            [str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "-t", "30", "stop"],
            "pg_ctl stop",
        )
    except (RuntimeError, subprocess.TimeoutExpired):
        pid_file = data_dir / "postmaster.pid"
        if pid_file.exists():  # pg_ctl could not stop it: end the postmaster we started, by its pid
            with contextlib.suppress(ValueError, ProcessLookupError, IndexError):
                os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGKILL)


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(server.dsn(), connect_timeout=2).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
