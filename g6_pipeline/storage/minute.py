"""One index's minute, whole or absent: every store writes it, or none keeps any of it.

The stores of a minute (`sink.MinuteStore`: the Parquet slices, then the classic CSV lines) write one index's
minute in turn, each noting in a `MinuteJournal` what it is about to change: a file about to be created (undo:
delete it), replaced (undo: put the previous file back, kept as a hidden hard link beside it, or its bytes on an
object store) or appended to (undo: truncate it back to its previous size). When any store fails (a full disk, a
read-only directory, a permission error, any exception) the journal undoes every change of that index's minute,
in every store, and the failure is reported in one line naming the store and the file; the other indices of the
minute are committed on their own. Undoing needs no free space: a truncation, a rename, a deletion. The caller
holds the partition's writer lock (`storage.writer`), so nobody sees the minute half written but a crash, which
the readers and the seal already survive (a minute slice cut short is quarantined, a CSV line cut short repaired).
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from upath import UPath

from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.sink import MinuteStore

log = logging.getLogger(__name__)
UNDO_SUFFIX = ".undo"
"""The hidden hard link `.<name>.undo` that keeps a replaced file's previous content until the minute commits."""


class MinuteNotWrittenError(RuntimeError):
    """A minute that no store kept; the message says which store failed on which file, and why."""


@dataclass
class _Undo:
    path: UPath
    kind: str  # "absent", "link", "bytes" or "size"
    backup: UPath | None = None
    content: bytes = b""
    size: int = 0


class MinuteJournal:
    """What one index's minute changed so far, in every store, and how to take it back."""

    def __init__(self, location: DataLocation) -> None:
        self.location = location
        self.store = ""
        """The store writing now (named in the failure)."""
        self.current: UPath | None = None
        """The file being written now (named in the failure)."""
        self._undo: list[_Undo] = []
        self._seen: set[str] = set()

    def replacing(self, path: UPath) -> None:
        """Call before `path` is created or replaced: the first time, remember it absent or keep its content."""
        self.current = path
        if not self._first(path):
            return
        loc = self.location
        if not loc.exists(path):
            self._undo.append(_Undo(path, "absent"))
        elif loc.is_local and self._link(path):
            self._undo.append(_Undo(path, "link", backup=path.parent / f".{path.name}{UNDO_SUFFIX}"))
        else:
            self._undo.append(_Undo(path, "bytes", content=loc.read_bytes(path)))

    def _link(self, path: UPath) -> bool:
        """Keep `path`'s content as the hidden hard link beside it; False where the filesystem has no hard links."""
        backup = path.parent / f".{path.name}{UNDO_SUFFIX}"
        self.location.remove(backup)  # left by a process killed in the middle of a minute
        try:
            os.link(path.path, backup.path)
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                return False
            raise
        return True

    def appending(self, path: UPath, size: int) -> None:
        """Call before complete lines are appended to `path`, whose size is now `size`."""
        self.current = path
        if not self.location.is_local:  # an object store appends by replacing the file
            self.replacing(path)
        elif self._first(path):
            self._undo.append(_Undo(path, "size", size=size))

    def _first(self, path: UPath) -> bool:
        key = str(path)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def reason(self, exc: BaseException) -> str:
        """One line saying which store failed on which file, and why."""
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        path = self.current if self.current is not None else getattr(exc, "filename", None)
        where = f"{self.store} {path}" if path else self.store
        text = f"not written ({where}): {detail}"
        return " ".join(text.split())

    def rollback(self) -> list[str]:
        """Undo every change, newest first; the changes that could not be undone (empty when all were)."""
        loc, problems = self.location, []
        for undo in reversed(self._undo):
            try:
                if undo.kind == "absent":
                    loc.remove(undo.path)
                elif undo.kind == "link" and undo.backup is not None:
                    os.replace(undo.backup.path, undo.path.path)
                    loc.remove(undo.backup)  # still there when the file was never replaced (a rename onto itself)
                elif undo.kind == "bytes":
                    loc.write_atomic(undo.path, undo.content)
                else:
                    os.truncate(undo.path.path, undo.size)
            except OSError as exc:
                problems.append(f"{undo.path}: {exc.strerror or exc}")
        self._undo.clear()
        return problems

    def commit(self) -> None:
        """Keep every change: drop the kept previous contents."""
        for undo in self._undo:
            if undo.backup is not None:
                self.location.remove(undo.backup)
        self._undo.clear()


@dataclass
class MinuteCommit:
    """What committing one index's minute did: rows, bytes and seconds by store, or the one-line failure."""

    index: str
    written: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    error: str | None = None
    store: str = ""
    """The store that failed (with `error`)."""


@contextmanager
def prepared_minute(stores: Sequence[MinuteStore], chains: Sequence[EnrichedChain]) -> Iterator[None]:
    """For the `with` block, in which the indices are committed one by one: the stores that can format the whole
    minute in one pass (`ClassicCsvSink.prepare`) have done so; nothing is written, nothing prepared is kept after."""
    prepares = [p for p in (getattr(store, "prepare", None) for store in stores) if p is not None]
    for prepare in prepares:
        prepare(chains)
    try:
        yield
    finally:
        for prepare in prepares:
            prepare([])


def commit_minute(location: DataLocation, stores: Sequence[MinuteStore], chain: EnrichedChain) -> MinuteCommit:
    """Write one index's minute into every store in turn, or, when any fails, into none (never raises).

    The caller holds the partition's writer lock."""
    journal = MinuteJournal(location)
    done = MinuteCommit(chain.index)
    try:
        for store in stores:
            journal.store, journal.current = store.name, None
            started = time.perf_counter()
            rows, size = store.write_minute(chain, journal)
            done.written[store.name] = (rows, size, time.perf_counter() - started)
    except Exception as exc:  # any failure of any store: the minute is absent from all of them
        log.debug("%s minute failed in %s", chain.index, journal.store, exc_info=True)
        reason = journal.reason(exc)
        problems = journal.rollback()
        if problems:
            reason += f"; could not be undone: {problems[0]}"
        return MinuteCommit(chain.index, error=reason, store=journal.store)
    journal.commit()
    return done


def write_each(location: DataLocation, store: MinuteStore, chains: Sequence[EnrichedChain]) -> SinkOutcome:
    """One store's `Sink.write`: each chain's minute committed whole in that store alone; failures reported."""
    started = time.perf_counter()
    rows = size = 0
    errors = []
    with prepared_minute([store], chains):
        for chain in chains:
            done = commit_minute(location, [store], chain)
            if done.error:
                errors.append(f"{chain.index}: {done.error}")
                continue
            rows_one, size_one, _ = done.written[store.name]
            rows, size = rows + rows_one, size + size_one
    return SinkOutcome(sink=store.name, rows=rows, bytes=size, seconds=time.perf_counter() - started,
                       error="; ".join(errors) or None)


def write_alone(location: DataLocation, store: MinuteStore, chain: EnrichedChain) -> tuple[int, int]:
    """Commit one chain's minute in `store` alone; (rows, bytes). Raises `MinuteNotWrittenError` with the reason."""
    done = commit_minute(location, [store], chain)
    if done.error:
        raise MinuteNotWrittenError(done.error)
    rows, size, _ = done.written[store.name]
    return rows, size

