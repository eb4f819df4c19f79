"""`make run`: start `dagster dev` unless its instance already has a daemon or its port is taken.

    python scripts/run-dagster.py HOST PORT -- COMMAND...

One daemon per instance: a second `dagster dev` on the same DAGSTER_HOME (a `make run PORT=…` beside the
first) would evaluate every sensor and dequeue every run twice. Two signs tell that an instance has a daemon:

- the lock `$DAGSTER_HOME/.g6-run.lock`, held (flock) by this script for as long as the `dagster dev` it
  started runs, and released by the kernel however the script ends; it names the holder's pid and port;
- the instance's daemon heartbeats (`DagsterInstance.get_daemon_heartbeats`, written every 30 s), for a daemon
  started another way: one younger than `HEARTBEAT_FRESH_SECONDS` is a live daemon.

Either refuses with one line saying how to stop the first. Then the port: when another program listens on it,
the line names that program. Otherwise the command runs as a child; SIGTERM to this script stops it as Ctrl-C
would, and once it has ended the instance's heartbeats are wiped, so that the next `make run` need not wait for
them to age.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

LOCK_NAME = ".g6-run.lock"
HEARTBEAT_FRESH_SECONDS = 60.0
"""Twice the daemon's heartbeat interval (30 s): a heartbeat this young comes from a daemon still running."""


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def port_holder(port: int) -> str:
    """`pid N (command line)` of the process listening on `port`, or a hint when it cannot be seen."""
    inodes = _listening_inodes(port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(link == f"socket:[{inode}]" for inode in inodes for link in links):
            return f"pid {proc.name} ({command[:120]})"
    return "another process"


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served (who holds it), or None when it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return f"{host}:{port} is in use by {port_holder(port)}: stop it, or `make run PORT=<other>`"
    return None


def take_lock(home: Path) -> tuple[int, str | None]:
    """(the lock's descriptor, None) when this process now holds the instance's lock; (-1, why not) when
    another process holds it."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            holder = {}
        os.close(fd)
        pid, port = holder.get("pid", "?"), holder.get("port", "?")
        return -1, (f"the instance {home} already has a daemon: `make run` pid {pid} serves it on port {port} since "
                    f"{holder.get('started', '?')}; one daemon per instance: stop it first (Ctrl-C in its terminal, "
                    f"or `kill {pid}`), then `make run` again")
    return fd, None


def write_holder(fd: int, host: str, port: int) -> None:
    """Name this process, its port and start time in the lock file, for the message of a second `make run`."""
    text = json.dumps({"pid": os.getpid(), "host": host, "port": port,
                       "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)


def heartbeat_age() -> float | None:
    """Seconds since the newest daemon heartbeat of the instance at DAGSTER_HOME, or None when there is none."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        beats = instance.get_daemon_heartbeats()
    if not beats:
        return None
    return time.time() - max(beat.timestamp for beat in beats.values())


def wipe_heartbeats() -> None:
    """Remove the instance's daemon heartbeats (its daemon has stopped)."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        instance.wipe_daemon_heartbeats()


def _in_child(mode: str) -> str:
    """Run one of this script's instance modes in a fresh interpreter (so that this long-lived process never
    imports Dagster) and return what it printed."""
    done = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def daemon_problem(home: Path) -> str | None:
    """Why the instance has a daemon already by its heartbeats, or None."""
    age = _in_child("--heartbeat-age")
    if not age or float(age) > HEARTBEAT_FRESH_SECONDS:
        return None
    wait = HEARTBEAT_FRESH_SECONDS - float(age)
    return (f"the instance {home} already has a daemon: its heartbeat is {float(age):.0f} s old; one daemon per "
            f"instance: stop that `dagster dev` or `dagster-daemon` first (DAGSTER_HOME={home}); if it has just "
            f"stopped, `make run` again in {wait:.0f} s")


def run(host: str, port: int, command: list[str]) -> int:
    """Refuse, or run `command` holding the instance's lock; its exit code."""
    home = Path(os.environ["DAGSTER_HOME"])
    fd, problem = take_lock(home)
    problem = problem or daemon_problem(home) or port_problem(host, port)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    write_holder(fd, host, port)
    children: list[subprocess.Popen[bytes]] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        for child in children:  # as Ctrl-C: dagster dev stops its webserver, daemon and code server
            child.send_signal(signal.SIGINT)

    # Python handlers, not SIG_IGN, so that the child starts with the default ones even when `make run` was
    # started in the background (dagster dev ignores SIGTERM too when it inherits an ignored SIGINT)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, lambda signum, frame: None)  # Ctrl-C reaches the child from the terminal
    children.append(subprocess.Popen(command, pass_fds=(fd,)))  # the child keeps the lock should this process die
    code = children[0].wait()
    _in_child("--wipe-heartbeats")
    return code


def main(argv: list[str]) -> int:
    """`HOST PORT -- COMMAND...`, or one of the instance modes run in a child."""
    if argv == ["--heartbeat-age"]:
        age = heartbeat_age()
        print("" if age is None else f"{age:.1f}")
        return 0
    if argv == ["--wipe-heartbeats"]:
        wipe_heartbeats()
        return 0
    if len(argv) < 4 or argv[2] != "--":
        print("usage: run-dagster.py HOST PORT -- COMMAND...", file=sys.stderr)
        return 2
    return run(argv[0], int(argv[1]), argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
