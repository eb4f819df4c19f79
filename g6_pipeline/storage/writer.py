"""Who writes what: one lock per (day, index) partition of the data directory, held only to commit.

Everything G6 stores for one trading day of one index is written only while its writer holds that
partition's lock (`DataLocation.partition_lock_file`): the Parquet partition (minute slices, the sealed
file, its staged copy, the kept raw and the quarantined slices), the classic CSV files of the day, the
day's reference and its seal record. So a read-merge-write of a day (the seal folding slices into
`day.parquet`, a minute merged into a sealed day, a backfill replacing a simulated day) never interleaves
with another writer of the same day, while writers of different days or indices never wait for each other:
a backfill, an import, the seal or repair of a past day, the layout migration never make the current minute
wait. No lock covers the whole directory: what spans partitions has a lock of its own (the weekday master's
running state of one index and weekday, `state_lock`); the Influx spool is written by the minute alone and
caches are rewritten whole.

The minute collection takes the locks of its own (today, index) partitions, all at once in sorted order
(the order every multi-partition holder uses, so two holders never wait for each other in a circle), and
gives up after `collection.writer_lock_seconds`: then nothing of the minute is written and the run fails
naming the holder. The other writers prepare their data outside the lock (generate, enrich, format,
serialise) and hold the lock only to check that the day may still be written and to commit; they wait up
to `WRITER_WAIT_SECONDS`, since nobody waits on them to the minute. A lock is re-entrant within a thread and
waiters take turns (`util.lock`). An object store has no file locks (each put is atomic there) and takes
none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date

from upath import UPath

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.lock import exclusive_lock

log = logging.getLogger(__name__)
WRITER_WAIT_SECONDS = 300.0
"""How long a writer other than the minute collection waits for a partition lock before it fails."""
WAITING = "waiting for the writer lock of %s held by %s"
"""What a writer logs (once) when it has waited `NOTICE_AFTER_SECONDS` for a partition lock."""
NOTICE_AFTER_SECONDS = 2.0
"""Commits take well under this; a longer wait is worth a warning."""


@dataclass
class LockWait:
    """How long the holder of `partition_locks` waited for them (seconds)."""

    seconds: float = 0.0


@contextmanager
def partition_lock(
    location: DataLocation, day: date, index: str, timeout: float = WRITER_WAIT_SECONDS
) -> Iterator[LockWait]:
    """Hold the writer lock of (day, index) for the `with` block, waiting up to `timeout` seconds.

    Raises `util.lock.LockTimeoutError` naming the holder when it is not free in time.
    """
    with partition_locks(location, [(day, index)], timeout) as waited:
        yield waited


@contextmanager
def partition_locks(
    location: DataLocation, partitions: Iterable[tuple[date, str]], timeout: float = WRITER_WAIT_SECONDS
) -> Iterator[LockWait]:
    """Hold the writer locks of every (day, index) in `partitions` for the `with` block.

    Taken in sorted order, all within `timeout` seconds in total; raises `util.lock.LockTimeoutError` naming
    the holder of the first lock that is not free in time (none is held then). Yields how long it waited.
    """
    waited = LockWait()
    if not location.is_local:
        yield waited
        return
    started = time.monotonic()
    with ExitStack() as held:
        for day, index in sorted(set(partitions)):
            left = max(0.0, timeout - (time.monotonic() - started))
            held.enter_context(exclusive_lock(
                location.partition_lock_file(day, index).path,
                left,
                on_wait=_notice(f"{index} {day.isoformat()}"),
                notice_after=NOTICE_AFTER_SECONDS,
            ))
        waited.seconds = time.monotonic() - started
        yield waited


@contextmanager
def state_lock(location: DataLocation, state: UPath, timeout: float = WRITER_WAIT_SECONDS) -> Iterator[None]:
    """Hold the writer lock of one state file that spans partitions (`DataLocation.state_lock_file`) for the
    `with` block, waiting up to `timeout` seconds; raises `util.lock.LockTimeoutError` naming the holder."""
    if not location.is_local:
        yield
        return
    with exclusive_lock(location.state_lock_file(state).path, timeout, on_wait=_notice(str(state.name)),
                        notice_after=NOTICE_AFTER_SECONDS):
        yield


def _notice(partition: str) -> Callable[[str], None]:
    """The warning a writer logs when it has waited a while for the lock of `partition`."""
    return lambda who: log.warning(WAITING, partition, who)
