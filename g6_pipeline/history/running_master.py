"""A master of day aggregates kept as running state, so that folding a new day reads that day alone.

A master (the weekday master is one) keeps, for each of its groups (for the weekday master: one index and one
weekday), one state file written atomically: per key, the running mean and EMA of each metric, how many values
each has seen and on how many days the key had a row (`RunningStats`); and a ledger of the group's days, what
each was when it was folded — its status, a digest of its aggregate and its sources — with the parameters the
fold depends on and a generation number (`MasterState`).

One update, per key and metric, for a day's value x: the first value sets the mean and the EMA; then
`seen += 1; mean += (x − mean)/seen; ema = α·x + (1 − α)·ema`. A NaN leaves both as they were and is not
counted. `counter` counts the days on which the key has a row.

`advance` brings a state up to date: a day later than every folded day is applied to the state from its own
aggregate, whatever the length of the history. Whatever else would change the folded days — a day earlier than
the latest folded one, a folded day whose aggregate changed (its digest) or that is now left out, a folded day
whose sealed file or record is gone — makes `advance` give up, and the state is replayed from the first day
(`replay`) through the same `RunningStats.apply`, so both paths give the same bytes. A state stored with other
parameters than the fold's (α, the session hours, the source family, the keys or metrics) is replayed too.
`fold_group` does all of it for one group and commits the result (`Group` says where its state lives and how its
days are listed and read).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.writer import state_lock

log = logging.getLogger(__name__)

STATE_SCHEMA = "g6.master_state.v1"
STATE_METADATA = b"g6_master_state"
"""The Parquet schema-metadata key holding the state's parameters, generation and ledger (JSON)."""

Status = Literal["folded", "left_out", "missing", "refused"]
FOLDED: Status = "folded"
"""Read and of the master's family: in the master."""
LEFT_OUT: Status = "left_out"
"""Read, but of another source family: kept out of the master."""
MISSING: Status = "missing"
"""Recorded, but its sealed file is gone: out of the master until it is back."""
REFUSED: Status = "refused"
"""Recorded, but unreadable or refused by the fold's gate: out of the master until it is folded again."""


@dataclass(frozen=True)
class DayEntry:
    """What one day of a group was when it was folded (or left out)."""

    status: Status
    digest: str = ""
    """`digest` of the day's aggregate and sources (empty when it could not be read)."""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayRead:
    """One day as read for a fold: its ledger entry (None: unreadable and never recorded, so not in the ledger)
    and, when it is folded, its aggregate (one row per key: the key columns and the metrics)."""

    day: date
    entry: DayEntry | None
    frame: pd.DataFrame | None = None


Reader = Callable[[date], DayRead]
T = TypeVar("T")


@dataclass(frozen=True)
class Group:
    """One group of a master (for the weekday master: an index and a weekday): where its state lives, what its
    fold depends on, and its days."""

    path: UPath
    params: dict[str, Any]
    """What the fold depends on besides the days (α, session hours, source family, ...): JSON values."""
    key: Sequence[str]
    metrics: Sequence[str]
    recorded: Callable[[], Iterable[date]]
    """The group's recorded days, as they are now."""
    read: Reader
    present: Callable[[date], bool]
    """Whether a day's sealed file exists."""

    def empty(self) -> MasterState:
        """A state of this group's parameters with no day folded."""
        return MasterState(plain(self.params), RunningStats(self.key, self.metrics, float(self.params["alpha"])))


def fold_group(
    location: DataLocation, group: Group, wanted: Iterable[date], write: Callable[[RunningStats], T]
) -> tuple[MasterState, T]:
    """Bring one group's state up to date with the `wanted` days, `write` the master's files from it, then
    store it; (the state, what `write` returned).

    A fold commits only over the state it started from (its generation); when another fold of the group
    committed in between, it is done again holding the state file's lock (`storage.writer.state_lock`). The
    master's files are written before the state, and are never read back: a crash in between leaves the state of before, from which
    the day is folded again, never counted twice.
    """
    wanted = sorted(set(wanted))
    done = _attempt(location, group, wanted, write)
    if done is None:
        with state_lock(location, group.path):
            done = _attempt(location, group, wanted, write)
    if done is None:  # only where the writer lock holds nothing (an object store)
        raise RuntimeError(f"{group.path} was changed by another fold meanwhile")
    return done


def _attempt(
    location: DataLocation, group: Group, wanted: list[date], write: Callable[[RunningStats], T]
) -> tuple[MasterState, T] | None:
    """One attempt of `fold_group`: None when another fold committed since this one read the state."""
    base = load_state(location, group.path, group.key, group.metrics)
    started = base.generation if base else None
    recorded = set(group.recorded())
    current = base if base and base.params == plain(group.params) else None
    advanced = advance(current, recorded, wanted, group.read, group.present) if current else None
    state, changed = advanced or (replay(group.empty(), recorded | set(wanted), group.read), True)
    with state_lock(location, group.path):
        if stored_generation(location, group.path) != started:
            return None
        written = write(state.stats)
        if changed:
            state.generation = (started or 0) + 1
            location.write_atomic(group.path, state.to_bytes())
    return state, written


def digest(frame: pd.DataFrame, sources: Iterable[str]) -> str:
    """A digest of a day's aggregate (every value's exact bytes) and its sources: equal digests, equal days."""
    h = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(sources), len(frame)]).encode())
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype.kind not in "fiub":
            values = pd.util.hash_array(values.astype(object))
        h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:32]


class RunningStats:
    """Per key, in key order: running mean, EMA and values seen of each metric, and the days with a row."""

    def __init__(self, key: Sequence[str], metrics: Sequence[str], alpha: float) -> None:
        self.key, self.metrics, self.alpha = list(key), list(metrics), alpha
        self.keys = pd.DataFrame(columns=self.key)
        shape = (0, len(self.metrics))
        self.mean, self.ema = np.empty(shape), np.empty(shape)
        self.seen = np.zeros(shape, dtype=np.int64)
        self.counter = np.zeros(0, dtype=np.int64)

    def apply(self, day: pd.DataFrame) -> None:
        """Fold one day's aggregate (one row per key) into the state: the update of the module docstring."""
        self._add_keys(day[self.key])
        codes = pd.MultiIndex.from_frame(self.keys).get_indexer(pd.MultiIndex.from_frame(day[self.key]))
        x = np.full(self.mean.shape, np.nan)
        x[codes] = day[self.metrics].to_numpy(float)
        present = np.zeros(len(self.keys), dtype=bool)
        present[codes] = True
        self.counter = self.counter + present
        has = ~np.isnan(x)
        self.seen = self.seen + has
        first = has & np.isnan(self.mean)
        with np.errstate(invalid="ignore"):
            self.mean = np.where(first, x, np.where(has, self.mean + (x - self.mean) / np.maximum(self.seen, 1),
                                                    self.mean))
            self.ema = np.where(first, x, np.where(has, self.alpha * x + (1 - self.alpha) * self.ema, self.ema))

    def _add_keys(self, incoming: pd.DataFrame) -> None:
        """Make room for the keys not seen yet, keeping every array in key order."""
        if incoming.duplicated().any():
            raise ValueError("a day's aggregate holds one row per key")
        if self.keys.empty:
            merged = incoming.reset_index(drop=True)
        else:
            known = pd.MultiIndex.from_frame(self.keys)
            new = incoming[~pd.MultiIndex.from_frame(incoming).isin(known)]
            if new.empty:
                return
            merged = pd.concat([self.keys, new], ignore_index=True)
        order = merged.sort_values(self.key, kind="stable").index.to_numpy()
        added = len(merged) - len(self.keys)
        pad = np.full((added, len(self.metrics)), np.nan)
        self.keys = merged.iloc[order].reset_index(drop=True)
        self.mean = np.vstack([self.mean, pad])[order]
        self.ema = np.vstack([self.ema, pad])[order]
        self.seen = np.vstack([self.seen, np.zeros(pad.shape, dtype=np.int64)])[order]
        self.counter = np.concatenate([self.counter, np.zeros(added, dtype=np.int64)])[order]

    def frame(self) -> pd.DataFrame:
        """The master's rows: the key columns, `<metric>_mean` and `<metric>_ema` of each metric, `counter`."""
        out = self.keys.copy()
        for j, metric in enumerate(self.metrics):
            out[f"{metric}_mean"] = self.mean[:, j]
            out[f"{metric}_ema"] = self.ema[:, j]
        out["counter"] = self.counter
        return out

    def table(self) -> pa.Table:
        """The state as an Arrow table (every value exact)."""
        columns: dict[str, Any] = {name: pa.array(self.keys[name].to_numpy()) for name in self.key}
        columns["counter"] = pa.array(self.counter)
        for j, metric in enumerate(self.metrics):
            columns[f"{metric}_mean"] = pa.array(self.mean[:, j])
            columns[f"{metric}_ema"] = pa.array(self.ema[:, j])
            columns[f"{metric}_seen"] = pa.array(self.seen[:, j])
        return pa.table(columns)

    @classmethod
    def from_table(cls, table: pa.Table, key: Sequence[str], metrics: Sequence[str], alpha: float) -> RunningStats:
        """The state `table` gave (raises KeyError when a column is missing)."""
        stats = cls(key, metrics, alpha)
        if table.num_rows == 0:
            return stats
        stats.keys = pd.DataFrame({name: table[name].to_numpy() for name in stats.key})

        def matrix(suffix: str) -> np.ndarray:
            return np.column_stack([table[f"{m}_{suffix}"].to_numpy() for m in stats.metrics])

        stats.mean, stats.ema, stats.seen = matrix("mean"), matrix("ema"), matrix("seen").astype(np.int64)
        stats.counter = table["counter"].to_numpy().astype(np.int64)
        return stats


@dataclass
class MasterState:
    """One group's state: its parameters, generation, ledger of days and running statistics."""

    params: dict[str, Any]
    """What the fold depends on besides the days (a state of other parameters is replayed)."""
    stats: RunningStats
    days: dict[date, DayEntry] = field(default_factory=dict)
    generation: int = 0
    """Incremented by each commit: a commit checks that no other one came in between."""

    @property
    def last_folded(self) -> date | None:
        """The latest day in the master, if any."""
        return max((d for d, e in self.days.items() if e.status == FOLDED), default=None)

    def folded(self) -> list[tuple[date, DayEntry]]:
        """The days in the master, in date order."""
        return sorted((d, e) for d, e in self.days.items() if e.status == FOLDED)

    def to_bytes(self) -> bytes:
        """The state file: a Parquet table of the running statistics, the rest in its schema metadata."""
        header = {
            "schema": STATE_SCHEMA,
            "params": self.params,
            "generation": self.generation,
            "days": [[d.isoformat(), e.status, e.digest, list(e.sources)] for d, e in sorted(self.days.items())],
        }
        table = self.stats.table()
        table = table.replace_schema_metadata({STATE_METADATA: json.dumps(header).encode()})
        floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd", use_dictionary=list(self.stats.key),
                       use_byte_stream_split=floats)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, key: Sequence[str], metrics: Sequence[str]) -> MasterState:
        """The state a file holds (raises on anything that is not a state file of this schema)."""
        table = pq.read_table(pa.BufferReader(data))
        header = json.loads((table.schema.metadata or {})[STATE_METADATA])
        if header.get("schema") != STATE_SCHEMA:
            raise ValueError(f"not a {STATE_SCHEMA} file")
        params = dict(header["params"])
        days = {date.fromisoformat(d): DayEntry(status, dig, tuple(sources)) for d, status, dig, sources in header["days"]}
        stats = RunningStats.from_table(table, key, metrics, float(params["alpha"]))
        return cls(params, stats, days, int(header["generation"]))


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """`params` as a state file gives them back (tuples become lists), to compare with a loaded state's."""
    loaded: dict[str, Any] = json.loads(json.dumps(params))
    return loaded


def load_state(location: DataLocation, path: UPath, key: Sequence[str], metrics: Sequence[str]) -> MasterState | None:
    """The group's state as stored, or None when there is none (the group is then replayed).

    An unreadable state file is not an error: it is logged and replayed over.
    """
    try:
        data = location.read_bytes(path)
    except FileNotFoundError:
        return None
    try:
        return MasterState.from_bytes(data, key, metrics)
    except Exception as exc:
        log.warning("unreadable master state %s (replayed from the first day): %s", path, exc)
        return None


def stored_generation(location: DataLocation, path: UPath) -> int | None:
    """The generation of the state file as it is now (None: no readable state)."""
    try:
        metadata = pq.read_schema(pa.BufferReader(location.read_bytes(path))).metadata or {}
        return int(json.loads(metadata[STATE_METADATA])["generation"])
    except Exception:
        return None


def advance(
    state: MasterState, recorded: Iterable[date], wanted: Iterable[date], read: Reader, present: Callable[[date], bool]
) -> tuple[MasterState, bool] | None:
    """Bring `state` up to date with the `wanted` days and any recorded day its ledger lacks (a fold that did not
    finish), in date order, each from its own aggregate: (the state, whether it changed), or None when that
    takes a replay. `present(day)`: whether the day's sealed file exists (a folded day whose file is gone leaves
    the master; a missing day whose file is back is read again)."""
    wanted = set(wanted)
    known = set(recorded) | wanted
    pending = set(wanted) | (known - state.days.keys())
    changed = False
    for day, entry in list(state.days.items()):
        if day not in known or (entry.status == FOLDED and not present(day)):
            if entry.status == FOLDED:
                return None
            del state.days[day]
            changed = True
        elif entry.status == MISSING and present(day):
            pending.add(day)
    last = state.last_folded
    for got in in_date_order(sorted(pending), read):
        old, new = state.days.get(got.day), got.entry
        if new == old:
            continue
        was_folded, is_folded = old is not None and old.status == FOLDED, new is not None and new.status == FOLDED
        if was_folded or (is_folded and last is not None and got.day <= last):
            return None  # a folded day replaced or left out, or a day earlier than the latest folded one
        if is_folded:
            assert got.frame is not None
            state.stats.apply(got.frame)
            last = got.day
        if new is None:
            state.days.pop(got.day, None)
        else:
            state.days[got.day] = new
        changed = True
    return state, changed


def replay(state: MasterState, days: Iterable[date], read: Reader) -> MasterState:
    """Fold every day of `days` (in date order, each read once) into an empty `state`."""
    for got in in_date_order(sorted(days), read):
        if got.entry is None:
            continue
        state.days[got.day] = got.entry
        if got.entry.status == FOLDED:
            assert got.frame is not None
            state.stats.apply(got.frame)
    return state


READ_AHEAD = 2
"""Days read at once while a state is advanced or replayed (each day's frame is let go once applied)."""


def in_date_order(days: Sequence[date], read: Reader, ahead: int = READ_AHEAD) -> Iterator[DayRead]:
    """`read(day)` of each day, in the order given, with at most `ahead` days read at once."""
    if not days:
        return
    with ThreadPoolExecutor(max_workers=ahead) as pool:
        queue: deque[Future[DayRead]] = deque(pool.submit(read, d) for d in days[:ahead])
        for following in [*days[ahead:], None]:
            got = queue.popleft().result()
            if following is not None:
                queue.append(pool.submit(read, following))
            yield got
        while queue:
            yield queue.popleft().result()
