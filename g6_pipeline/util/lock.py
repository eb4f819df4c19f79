"""One writer at a time: an exclusive OS file lock (`fcntl.flock`) that says who holds it.

The lock belongs to the open file, so it is released when the holder closes it or dies (even by
`kill -9`); a lock file left behind is harmless. The holder writes its pid and command line into the file,
so a process that cannot get the lock can say who has it.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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


@contextmanager
def exclusive_lock(
    path: str | os.PathLike[str],
    timeout: float,
    *,
    poll: float = 0.05,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the `with` block, waiting up to `timeout` seconds for it.

    Raises `LockTimeoutError` naming the holder when the lock is not free in time. `on_wait` is called once,
    with the holder, when the lock is not free at the first try.
    """
    target = os.fspath(path)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, target, timeout, poll, on_wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {' '.join(sys.argv) or sys.executable}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, target: str, timeout: float, poll: float, on_wait: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not waited and on_wait is not None:
                on_wait(holder(target))
            waited = True
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"{target} is held by {holder(target)}; gave up after {timeout:g} s"
                ) from None
            time.sleep(poll)
