"""One index's minute, whole or absent: every store writes it, or none keeps any of it.

The stores of a minute (`sink.MinuteStore`: the Parquet slices, then the classic CSV lines) write one index's
minute in turn, each noting in a `MinuteJournal` what it is about to change: a file about to be created (undo:
delete it), replaced (undo: put the previous file back, kept as a hidden hard link beside it, or its bytes on an
object store) or appended to (undo: truncate it back to its previous size). When any store fails (a full disk, a
read-only directory, a permission error, any exception) the journal undoes every change of that index's minute,
in every store, and the failure is reported in one line naming the store and the file; the other indices of the
minute are committed on their own. Undoing needs no free space: a truncation, a rename, a deletion. The caller
holds the partition's writer lock (`storage.writer`), so nobody else writes the partition meanwhile.

On a local disk the journal also notes each change, before making it, in the partition's hidden journal file
(`DataLocation.partition_journal_file`), and a committed minute ends it with a commit line. So a writer killed
in the middle of a minute (SIGKILL, an out-of-memory kill) leaves what is needed to finish its work: the next
holder of the partition's lock (`recover_minute`, called by `storage.writer.partition_locks`) undoes a minute
that had not committed, or drops the kept previous contents of one that had, and removes the temporary files
the killed writer left beside the files it was changing. The minute is then whole or absent in every store.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from upath import UPath

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.atomic_file import TEMPORARY_NAME

log = logging.getLogger(__name__)
UNDO_SUFFIX = ".undo"
"""The hidden hard link `.<name>.undo` that keeps a replaced file's previous content until the minute commits."""
_COMMITTED: dict[str, object] = {"committed": True}
"""The last line of the journal file of a minute that committed."""
_ACTIVE: set[str] = set()
"""The journal files of the minutes this process is writing now (never recovered under their writer's feet)."""


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

    def __init__(self, location: DataLocation, partition: tuple[date, str] | None = None) -> None:
        self.location = location
        self.partition = partition
        """The (day, index) written; on a local disk each change is noted in its journal file first."""
        self._file: UPath | None = None
        self._fd: int | None = None
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
            self._add(_Undo(path, "absent"))
        elif loc.is_local:
            backup = path.parent / f".{path.name}{UNDO_SUFFIX}"
            self._add(_Undo(path, "link", backup=backup))
            _keep(loc, path, backup)
        else:
            self._add(_Undo(path, "bytes", content=loc.read_bytes(path)))

    def _add(self, undo: _Undo) -> None:
        """Remember `undo`, noting it in the partition's journal file first (local disk)."""
        if self.partition is not None and self.location.is_local:
            if self._fd is None:
                self._open()
            entry = {"undo": undo.kind, "path": undo.path.path, "size": undo.size}
            if undo.backup is not None:
                entry["backup"] = undo.backup.path
            _note(self._fd, entry)
        self._undo.append(undo)

    def _open(self) -> None:
        """Start the partition's journal file, finishing first what a killed writer left in it."""
        assert self.partition is not None
        day, index = self.partition
        self._file = self.location.partition_journal_file(day, index)
        recover_minute(self.location, day, index)
        os.makedirs(os.path.dirname(self._file.path), exist_ok=True)
        _ACTIVE.add(self._file.path)
        self._fd = os.open(self._file.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o666)

    def _close(self, keep: bool = False) -> None:
        """End the journal file: the minute is committed or undone (removed), or not wholly undone (`keep`)."""
        if self._fd is None or self._file is None:
            return
        os.close(self._fd)
        self._fd = None
        if not keep:
            self.location.remove(self._file)
        _ACTIVE.discard(self._file.path)

    def appending(self, path: UPath, size: int) -> None:
        """Call before complete lines are appended to `path`, whose size is now `size`."""
        self.current = path
        if not self.location.is_local:  # an object store appends by replacing the file
            self.replacing(path)
        elif self._first(path):
            self._add(_Undo(path, "size", size=size))

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
        problems = _undo_all(self.location, self._undo)
        self._undo.clear()
        self._close(keep=bool(problems))  # kept: the next writer of the partition tries again
        return problems

    def commit(self) -> None:
        """Keep every change: note the commit, then drop the kept previous contents."""
        if self._fd is not None:
            _note(self._fd, _COMMITTED)
        for undo in self._undo:
            if undo.backup is not None:
                self.location.remove(undo.backup)
        self._undo.clear()
        self._close()


def _keep(location: DataLocation, path: UPath, backup: UPath) -> None:
    """Keep `path`'s content at `backup`: a hard link, or a copy where the filesystem has no hard links."""
    location.remove(backup)  # left by a process killed in the middle of a minute
    try:
        os.link(path.path, backup.path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        location.write_atomic(backup, location.read_bytes(path), durable=False)


def _note(fd: int | None, entry: dict[str, object]) -> None:
    """Append one line to a journal file (one `write`: a killed writer leaves whole lines, or a last one cut short)."""
    if fd is not None:
        os.write(fd, (json.dumps(entry) + "\n").encode())


def _undo_all(location: DataLocation, undos: Sequence[_Undo]) -> list[str]:
    """Undo `undos`, newest first; the ones that could not be undone. Undoing twice changes nothing more."""
    problems = []
    for undo in reversed(undos):
        try:
            if undo.kind == "absent":
                location.remove(undo.path)
                location.remove_empty_dir(undo.path.parent)  # a folder the minute created for it
            elif undo.kind == "link" and undo.backup is not None:
                if location.exists(undo.backup):  # absent: the file was not changed yet, or is already put back
                    os.replace(undo.backup.path, undo.path.path)
                    location.remove(undo.backup)  # still there when the file was never replaced (a rename onto itself)
            elif undo.kind == "bytes":
                location.write_atomic(undo.path, undo.content)
            elif location.exists(undo.path) and location.size(undo.path) > undo.size:
                os.truncate(undo.path.path, undo.size)
        except OSError as exc:
            problems.append(f"{undo.path}: {exc.strerror or exc}")
    return problems


def recover_minute(location: DataLocation, day: date, index: str) -> int:
    """Finish the minute a killed writer of (day, index) left in the partition's journal file: undo it when it had
    not committed, else drop its kept previous contents; remove its temporary files. Call holding the partition's
    lock. Returns the changes undone (0 when nothing was left, or the minute had committed)."""
    journal = location.partition_journal_file(day, index)
    if not location.is_local or journal.path in _ACTIVE or not location.exists(journal):
        return 0
    undos, committed = [], False
    for line in location.read_bytes(journal).splitlines():
        with contextlib.suppress(ValueError):  # a last line cut short: that change was not started
            entry = json.loads(line)
            committed = committed or entry == _COMMITTED
            if "undo" in entry:
                backup = entry.get("backup")
                undos.append(_Undo(UPath(entry["path"]), entry["undo"], size=int(entry.get("size", 0)),
                                   backup=UPath(backup) if backup else None))
    if committed:
        for undo in undos:
            if undo.backup is not None:
                location.remove(undo.backup)
    else:
        problems = _undo_all(location, undos)
        if problems:
            raise OSError(f"a minute of {index} {day} left unfinished could not be undone: {problems[0]}")
        log.warning("%s %s: undid a minute a stopped writer left unfinished (%d changes)", index, day, len(undos))
    _remove_temporaries(location, [u.path for u in undos])
    location.remove(journal)
    return 0 if committed else len(undos)


def _remove_temporaries(location: DataLocation, paths: Sequence[UPath]) -> None:
    """Remove the temporary files (`util.atomic_file`) left beside `paths` by a killed writer."""
    for folder in {os.path.dirname(p.path) for p in paths}:
        with contextlib.suppress(FileNotFoundError):
            names = os.listdir(folder)
            wanted = {os.path.basename(p.path) for p in paths if os.path.dirname(p.path) == folder}
            for name in names:
                if TEMPORARY_NAME.match(name) and name[1:].rsplit(".tmp-", 1)[0] in wanted:
                    location.remove(UPath(os.path.join(folder, name)))


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
    journal = MinuteJournal(location, (chain.timestamp.astimezone(IST).date(), chain.index))
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


@runtime_checkable
class MinuteStore(Protocol):
    """A store of the minute (Parquet, classic CSV) that writes one index's minute under a `MinuteJournal`.

    Before changing a file it tells the journal (`replacing` / `appending`), so that a failure in any store of the
    minute undoes the index's minute in all of them. It raises on any failure; the journal names the file.
    """

    name: str

    def write_minute(self, chain: EnrichedChain, journal: MinuteJournal | None = None) -> tuple[int, int]:
        """Write one chain's minute; (rows, bytes). Alone (no journal) it is committed whole or raises."""
        ...
