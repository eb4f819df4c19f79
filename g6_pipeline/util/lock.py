"""One writer at a time: an exclusive OS file lock (`fcntl.flock`) that says who holds it.

The lock belongs to the open file, so it is released when the holder closes it or dies (even by
`kill -9`); a lock file left behind is harmless. The holder writes its pid and command line into the file,
so a process that cannot get the lock can say who has it.

Waiters take turns: a waiter first holds the queue file beside the lock (`<lock>.queue`) while it waits for
the lock itself, and lets the queue go once it has the lock. A holder that lets go and at once asks again (a
backfill writing day after day) queues behind the waiter, so a waiting minute write gets the next turn instead
of being starved by a loop of short holds. A thread that already holds a lock gets it again at once (a writer
calling another writer), and only the outermost `with` lets it go.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

QUEUE_SUFFIX = ".queue"
"""The queue file beside a lock file."""
_held = threading.local()


class LockTimeoutError(RuntimeError):
    """The lock was held by another process for longer than the caller would wait."""


def holder(path: str | os.PathLike[str]) -> str:
    """Who the lock file says holds it (`pid 123: g6 collect --once`), or `unknown` when it says nothing."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(4096).strip()
    except OSError:
        return "unknown"
    return text.replace("\n", " ") or "unknown"


def _depths() -> dict[str, int]:
    """The locks this thread holds, by real path, with how deep it holds each."""
    depths: dict[str, int] | None = getattr(_held, "depths", None)
    if depths is None:
        depths = _held.depths = {}
    return depths


def held_here(path: str | os.PathLike[str]) -> bool:
    """Whether the calling thread holds the lock on `path`."""
    return os.path.realpath(os.fspath(path)) in _depths()


@contextmanager
def exclusive_lock(
    path: str | os.PathLike[str],
    timeout: float,
    *,
    poll: float = 0.05,
    on_wait: Callable[[str], None] | None = None,
    notice_after: float = 0.0,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the `with` block, waiting up to `timeout` seconds for it.

    Raises `LockTimeoutError` naming the holder when the lock is not free in time. `on_wait` is called once,
    with the holder, when the lock is still not free `notice_after` seconds after the first try (at once by
    default). Re-entrant within a thread.
    """
    target, key = os.fspath(path), os.path.realpath(path)
    depths = _depths()
    if key in depths:
        depths[key] += 1
        try:
            yield
        finally:
            depths[key] -= 1
        return
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, target, _Wait(timeout, poll, on_wait, notice_after))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {' '.join(sys.argv) or sys.executable}\n".encode(), 0)
        depths[key] = 1
        try:
            yield
        finally:
            del depths[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _Wait:
    """How one caller waits: its deadline, poll interval, and the notice it gives once when the wait is long."""

    def __init__(self, timeout: float, poll: float, on_wait: Callable[[str], None] | None, notice_after: float):
        start = time.monotonic()
        self.timeout, self.poll, self.on_wait = timeout, poll, on_wait
        self.deadline, self.notice_at = start + timeout, start + notice_after

    def tick(self, target: str) -> None:
        """Give the notice when it is due, fail past the deadline, else sleep one poll interval."""
        now = time.monotonic()
        if self.on_wait is not None and now >= self.notice_at:
            self.on_wait(holder(target))
            self.on_wait = None
        if now >= self.deadline:
            raise LockTimeoutError(f"{target} is held by {holder(target)}; gave up after {self.timeout:g} s")
        time.sleep(self.poll)


def _acquire(fd: int, target: str, wait: _Wait) -> None:
    """Take the lock on `fd`: at once when nobody holds or queues for it, else in turn through the queue file."""
    queue = os.open(target + QUEUE_SUFFIX, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if _try(queue) and _try(fd):
            return
        for each in (queue, fd):
            while not _try(each):
                wait.tick(target)
    finally:
        os.close(queue)  # lets the queue go (the lock itself stays held on `fd`)
