"""A command run as a real process whose output lines a test waits on, and the process tree it started.

`Watched` starts the command in its own session (so a test can send SIGINT to its whole group, as a terminal's
Ctrl-C does), collects stdout and stderr line by line in threads, and lets the test wait for a line containing
a text: an event, never a guessed sleep. `descendants` reads /proc for every process the command started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
WAIT = 300.0
"""How long a test waits for an event before it fails (far more than any event takes on a busy machine)."""


def g6_command(*args: str) -> list[str]:
    """The `g6` command with `args`, run by this interpreter."""
    return [sys.executable, "-m", "g6_pipeline.cli.main", *args]


class Watched:
    """A running command with its output lines collected as they come."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], cwd: Path = REPO) -> None:
        self.process = subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        """The command's process id (also its process group's)."""
        return self.process.pid

    def _read(self, stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            with self._changed:
                lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = WAIT) -> str:
        """The first output line (stdout or stderr) containing `text`, once it is printed."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in [*self.out, *self.err] if text in line), None)
                if found is not None:
                    return found
                if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f"exited {self.process.returncode} before printing {text!r}:\n"
                                         + "\n".join([*self.out, *self.err])[-4000:])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{text!r} not printed in {timeout:g} s:\n"
                                         + "\n".join([*self.out, *self.err])[-4000:])
                self._changed.wait(min(left, 1.0))

    def send(self, signum: signal.Signals, group: bool = False) -> None:
        """Send `signum` to the command (or, as a terminal's Ctrl-C does, to its whole process group)."""
        if group:
            os.killpg(self.pid, signum)
        else:
            os.kill(self.pid, signum)

    def finish(self, timeout: float = WAIT) -> int:
        """Wait for the command to exit and its output to be read; its exit code."""
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def kill(self) -> None:
        """Kill what is left of the command's group (cleanup after a failed test)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait()


def descendants(pid: int) -> set[int]:
    """Every process started by `pid`, directly or not (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, of in parents.items() if of == parent and child not in found]
        found.update(children)
        todo.extend(children)
    return found


def still_running(pids: set[int], timeout: float = WAIT) -> set[int]:
    """The pids still running (not exited, not zombies) after waiting up to `timeout` for them to end."""
    deadline = time.monotonic() + timeout
    while True:
        left = {pid for pid in pids if _running(pid)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
