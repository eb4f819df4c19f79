"""Clean stops: SIGINT and SIGTERM end a long-running command where its work is whole.

Within `stop_signals()` both signals raise `Stopped` in the main thread. Like `KeyboardInterrupt` it is a
`BaseException`, so no `except Exception` swallows it, and every `with` and `finally` on the way out runs:
locks are released, temporary files removed, worker processes stopped. Inside a `deferred()` block (one day
written and sealed, one commit) a stop waits for the block to finish and is raised as the block ends; a
second signal meanwhile is not lost and does not cut the block short.

A command stopped this way exits with 128 + the signal's number, as a shell reports a process the signal
ended: 130 for SIGINT (Ctrl-C), 143 for SIGTERM (a service manager, `kill`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
_deferring = 0
_pending: int | None = None


class Stopped(BaseException):
    """A stop signal arrived; raised in the main thread where the work may stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        """`SIGTERM`, `SIGINT`, ..."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum

    def __str__(self) -> str:
        return f"stopped by {self.signal_name}"


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Raise `Stopped` now, or once the current `deferred()` block ends."""
    global _pending
    if _deferring:
        _pending = signum
        return
    raise Stopped(signum)


def stopping(signum: int) -> None:
    """Handle `signum` as a stop in this process from now on (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signum, _on_signal)


@contextmanager
def stop_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Turn `signals` into `Stopped` for the `with` block, even where SIGINT was inherited as ignored (`cmd &`).

    Outside the main thread (a test runner's worker thread) it changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """A block a stop signal does not cut: a stop arriving inside it is raised as `Stopped` when it ends."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _pending is not None:
        signum, _pending = _pending, None
        raise Stopped(signum)
