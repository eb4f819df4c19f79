"""One writer of the data directory at a time: every writer holds the directory's writer lock while it writes.

The minute collection, the seal, the backfill, gap repair, the layout migration, the classic import and the
pruning of raw slices all take the same lock (`DataLocation.writer_lock_file`) through `writer_lock`, so a
read-merge-write (the seal folding slices into `day.parquet`, a minute merged into a sealed day) never
interleaves with another and loses its update. The lock is re-entrant within a thread, so a writer that calls
another writer while holding it does not wait for itself; waiters take turns (`util.lock`).

How long each waits: the minute collection waits `collection.writer_lock_seconds` (20 s by default) and
then writes nothing, so no other writer may hold the lock that long at once. The others hold it per unit of
work, each measured at well under that (one (day, index) table sealed: about 2 s; one synthetic day written:
under 1 s; one repaired minute: a fraction of a second), and wait up to `WRITER_WAIT_SECONDS` for it, since
nobody is waiting on them to the minute. An object store has no file locks (each put is atomic there) and
takes no lock.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.lock import exclusive_lock

log = logging.getLogger(__name__)
WRITER_WAIT_SECONDS = 300.0
"""How long a writer other than the minute collection waits for the lock before it fails."""
WAITING = "waiting for the data directory writer lock held by %s"
"""What a writer logs (once) when it has waited `NOTICE_AFTER_SECONDS` for the lock."""
NOTICE_AFTER_SECONDS = 2.0
"""Writers taking turns (the backfill's workers) wait well under this; a longer wait is worth a warning."""

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def writer_lock(location: DataLocation, timeout: float = WRITER_WAIT_SECONDS) -> Iterator[None]:
    """Hold the data directory's writer lock for the `with` block, waiting up to `timeout` seconds.

    Raises `util.lock.LockTimeoutError` naming the holder when it is not free in time. Nothing to hold on
    an object store.
    """
    if not location.is_local:
        yield
        return
    with exclusive_lock(
        location.writer_lock_file().path,
        timeout,
        on_wait=lambda who: log.warning(WAITING, who),
        notice_after=NOTICE_AFTER_SECONDS,
    ):
        yield


def writes_data(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` holding the writer lock of the data directory its first argument is or has (`.location`)."""

    @functools.wraps(function)
    def holding(*args: P.args, **kwargs: P.kwargs) -> R:
        first: Any = args[0]
        location = first if isinstance(first, DataLocation) else first.location
        with writer_lock(location):
            return function(*args, **kwargs)

    return holding
