"""The classic CSV sink: the original's per-strike and overview files, without its duplicate rows.

`g6_data/<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv` holds one row per minute with CE and PE side by side;
`g6_data/overview/<INDEX>/<YYYY-MM-DD>.csv` one overview row per minute. A row is keyed by its timestamp:

- a minute later than every row in the file is appended with a single write (the existing bytes are never
  touched, so a crash cannot damage them);
- a re-written minute has its line replaced; a new file, a minute inserted out of order, a re-written first
  minute (the base of the day change) or a file whose last line was cut short is rebuilt whole; either way
  the file is replaced atomically (temporary file, then rename), so no minute appears twice; a re-written
  minute also leaves the day's series files it no longer has (strikes that left the window) without its line;
- a line cut by a crash (no newline at the end, or fewer fields than the header) is rebuilt from the Parquet
  store, with any other minute the file lacks (the Parquet sink writes first).

`tp_day_change` is tp minus the first tp of the day in that file; `tp_net_change` is tp minus the last tp of
the same contract (same expiry date) in the previous day's files at that offset: the series' own file, or, the
day after an expiry when the tags have rolled, the file of the tag that named the contract then (`this_week`
takes the former `next_week`'s). Where no same-contract base exists the change is empty, never 0 and never a
jump against the expired contract (as the Parquet analytics, `collection.reference`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from upath import UPath

from g6_pipeline.core.clock import MARKET_TZ_NAME
from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.schema import EXPIRY_TAGS, OVERVIEW_COLUMNS
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.storage.classic_format import (
    CHANGE_COLUMNS,
    CLASSIC_COLUMNS,
    CLASSIC_HEADER,
    OVERVIEW_CSV_COLUMNS,
    OVERVIEW_CSV_HEADER,
    TP_FIELD,
    changes,
    classic_columns,
    field_float,
    format_lines,
    line_key,
    option_rows,
    overview_columns,
    sort_key,
)
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.minute import MinuteJournal, write_alone, write_each
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW, StorageError
from g6_pipeline.storage.reader import read_day_table
from g6_pipeline.util.numeric import finite_float

log = logging.getLogger(__name__)
_NET = CLASSIC_COLUMNS.index("tp_net_change")
_EXPIRY = CLASSIC_COLUMNS.index("expiry_date")
_KEEP = len(CLASSIC_COLUMNS) - len(CHANGE_COLUMNS)


@dataclass
class _Plan:
    """What to do with one series file this minute."""

    path: UPath
    mode: str  # "append", "create", "rebuild" or "repair" (a rebuild that restores cut lines from Parquet)
    first_tp: float = np.nan
    prev_tp: float = np.nan
    last_key: bytes = b""
    size: int = 0
    """The file's size when planned (an append is undone by truncating back to it)."""


@dataclass
class _Planned:
    """One chain's minute, planned and formatted: its series files' plans and lines, its overview plan and line."""

    day: date
    plans: list[_Plan]
    lines: list[bytes]
    overview: tuple[_Plan, bytes]


class ClassicCsvSink:
    """Writes the classic per-strike and overview CSVs (implements the `Sink` and `MinuteStore` protocols)."""

    name = "classic_csv"

    def __init__(self, location: DataLocation) -> None:
        self.location = location
        self._prepared: dict[tuple[str, datetime], _Planned] = {}

    # ---- the minute path --------------------------------------------------------------------------------

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute of every chain, each whole or not at all; failures are reported, never raised."""
        return write_each(self.location, self, chains)

    def prepare(self, chains: Sequence[EnrichedChain]) -> None:
        """Plan and format the minute's lines of every chain in one pass, before any is written (the minute is then
        committed index by index, `storage.minute`); what cannot be prepared together is prepared alone later."""
        self._prepared = {}
        if not chains:
            return
        try:
            self._prepared = self._format(chains)
        except Exception as exc:  # each chain is formatted alone when written, so only its own minute fails
            log.debug("the minute's CSV lines are formatted index by index: %s", exc)

    def write_minute(self, chain: EnrichedChain, journal: MinuteJournal | None = None) -> tuple[int, int]:
        """Write one chain's rows (one per expiry tag and offset) and its overview row, each change noted in
        `journal`; returns (rows, bytes). Raises on the first failure (alone, without a journal: after undoing).

        A minute the day's files may hold already (a re-collected minute) also leaves the files of the series
        this collection no longer has (strikes that left the window) without that minute's line."""
        if journal is None:
            return write_alone(self.location, self, chain)
        key = (chain.index, chain.timestamp)
        planned = self._prepared.pop(key, None) or self._format([chain])[key]
        size = 0
        for plan, line in zip(planned.plans, planned.lines, strict=True):
            size += self._apply(plan, line, CLASSIC_HEADER, True, planned.day, journal)
        over_plan, over_line = planned.overview
        if not _after_every_line(over_plan, over_line):
            written = {str(p.path) for p in planned.plans}
            size += self._drop_minute(chain.index, planned.day, line_key(over_line), written, journal)
        size += self._apply(over_plan, over_line, OVERVIEW_CSV_HEADER, False, planned.day, journal)
        return len(planned.lines), size

    def _format(self, chains: Sequence[EnrichedChain]) -> dict[tuple[str, datetime], _Planned]:
        """Every chain's series plans and lines and its overview plan and line, formatted in one pass."""
        for chain in chains:
            absent = [k for k in OVERVIEW_COLUMNS if k not in chain.overview]
            if absent:
                raise StorageError(f"{chain.index}: overview lacks {absent}")
        day_of = {c.index: pd.Timestamp(c.timestamp).tz_convert(MARKET_TZ_NAME).date() for c in chains}
        options = chains[0].options if len(chains) == 1 else pd.concat([c.options for c in chains], ignore_index=True)
        rows = option_rows(options)
        over_lines = format_lines(overview_columns(pd.DataFrame([c.overview for c in chains])), OVERVIEW_CSV_COLUMNS)
        loc = self.location
        indices = rows["index"].astype(str).tolist()
        series = zip(indices, rows["expiry_tag"].tolist(), rows["offset"].tolist(), _expiries(rows), strict=True)
        plans = [self._plan(loc.classic_csv(ix, str(tag), int(off), day_of[ix]), day_of[ix], expiry)
                 for ix, tag, off, expiry in series]
        tp = rows["tp"].to_numpy(float)
        first = np.array([p.first_tp for p in plans], dtype=float)
        first = np.where(np.isnan(first), tp, first)
        prev = np.array([p.prev_tp for p in plans], dtype=float)
        lines = format_lines(classic_columns(rows, changes(tp, first, prev)), CLASSIC_COLUMNS)
        out = {}
        for chain, over_line in zip(chains, over_lines, strict=True):
            day = day_of[chain.index]
            mine = [i for i, ix in enumerate(indices) if ix == chain.index]
            over_plan = self._plan(loc.overview_csv(chain.index, day), day, overview=True)
            out[(chain.index, chain.timestamp)] = _Planned(
                day, [plans[i] for i in mine], [lines[i] for i in mine], (over_plan, over_line))
        return out

    def _drop_minute(self, index: str, day: date, key: bytes, written: set[str], journal: MinuteJournal) -> int:
        """Remove the line of minute `key` from the day's series files of `index` not in `written`; bytes written."""
        loc, size = self.location, 0
        index_dir = loc.classic_csv(index, EXPIRY_TAGS[0], 0, day).parent.parent.parent
        for tag in EXPIRY_TAGS:
            for name in loc.list_names(index_dir / tag):
                try:
                    path = loc.classic_csv(index, tag, int(name), day)
                except ValueError:
                    continue
                if str(path) not in written and loc.exists(path):
                    size += self._drop_line(path, key, day, journal)
        return size

    def _drop_line(self, path: UPath, key: bytes, day: date, journal: MinuteJournal) -> int:
        """Remove the line of minute `key` from one series file (the file too, when no other line is left)."""
        loc = self.location
        existing = loc.read_bytes(path)
        if not existing.startswith(CLASSIC_HEADER):
            raise StorageError(f"{path}: unexpected header, the file is left as it is")
        lines = [ln + b"\n" for ln in existing[len(CLASSIC_HEADER):].split(b"\n") if ln]
        kept = [ln for ln in lines if line_key(ln) != key]
        if len(kept) == len(lines):
            return 0
        journal.replacing(path)
        if not kept:
            loc.remove(path)
            return 0
        if line_key(lines[0]) == key:  # the day's first minute is the base of the day change
            kept = self._recompute_changes(kept, lambda expiry: self._prev_tp(path, day, expiry))
        return loc.write_atomic(path, CLASSIC_HEADER + b"".join(kept), durable=False)

    def _plan(self, path: UPath, day: date, expiry: bytes = b"", overview: bool = False) -> _Plan:
        ends = self.location.read_ends(path)
        if ends is None:
            return _Plan(path, "create", prev_tp=np.nan if overview else self._prev_tp(path, day, expiry))
        head, tail, size = ends
        header = OVERVIEW_CSV_HEADER if overview else CLASSIC_HEADER
        if not head.startswith(header):
            raise StorageError(f"{path}: unexpected header, the file is left as it is")
        lines = head[len(header) :].split(b"\n")
        last_line = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        if not tail.endswith(b"\n") or (len(lines) >= 2 and last_line.count(b",") != header.count(b",")):
            return _Plan(path, "repair")
        if len(lines) < 2:
            return _Plan(path, "rebuild")
        first_line = lines[0]
        last_key = line_key(last_line)
        if overview:
            return _Plan(path, "append", last_key=last_key, size=size)
        first_tp = field_float(first_line, TP_FIELD)
        first_net = field_float(first_line, _NET)
        if np.isnan(first_tp):
            return _Plan(path, "rebuild")
        same_contract = first_line.split(b",")[_EXPIRY] == expiry
        known = same_contract and not np.isnan(first_net)
        prev = first_tp - first_net if known else self._prev_tp(path, day, expiry)
        return _Plan(path, "append", first_tp=first_tp, prev_tp=prev, last_key=last_key, size=size)

    def _apply(
        self, plan: _Plan, line: bytes, header: bytes, rebuild_changes: bool, day: date, journal: MinuteJournal
    ) -> int:
        loc = self.location
        if _after_every_line(plan, line):
            journal.appending(plan.path, plan.size)
            return loc.append(plan.path, line)
        journal.replacing(plan.path)
        if plan.mode == "create":
            return loc.write_atomic(plan.path, header + line, durable=False)
        if plan.mode == "append":  # an intact file: replace the minute's line in place if it is there
            existing = loc.read_bytes(plan.path)
            at = existing.find(b"\n" + line_key(line) + b",", len(header) - 1)
            end = existing.find(b"\n", at + 1) if at >= 0 else -1
            if end >= 0 and (at + 1 != len(header) or not rebuild_changes):
                return loc.write_atomic(
                    plan.path, existing[: at + 1] + line + existing[end + 1 :], durable=False
                )
        stored = self._stored_lines(plan.path, line, day, header) if plan.mode == "repair" else []
        return self._rebuild(plan.path, [*stored, line], header, rebuild_changes, day)

    def _rebuild(
        self, path: UPath, new_lines: list[bytes], header: bytes, rebuild_changes: bool, day: date
    ) -> int:
        """Merge new lines into a file by timestamp (new wins), drop cut-short lines, replace atomically."""
        loc = self.location
        existing = loc.read_bytes(path) if loc.exists(path) else header
        if not existing.startswith(header):
            raise StorageError(f"{path}: unexpected header, the file is left as it is")
        body = existing[len(header) :]
        complete = body if body.endswith(b"\n") or not body else body[: body.rfind(b"\n") + 1]
        fields = header.count(b",")
        by_key = {line_key(ln): ln + b"\n" for ln in complete.split(b"\n") if ln and ln.count(b",") == fields}
        for line in new_lines:
            by_key[line_key(line)] = line
        ordered = [by_key[k] for k in sorted(by_key, key=sort_key)]
        if rebuild_changes:
            ordered = self._recompute_changes(ordered, lambda expiry: self._prev_tp(path, day, expiry))
        return loc.write_atomic(path, header + b"".join(ordered), durable=False)

    def _stored_lines(self, path: UPath, line: bytes, day: date, header: bytes) -> list[bytes]:
        """The lines of a damaged file's series as the Parquet store holds them (none when it holds nothing)."""
        fields = line.split(b",")
        index = fields[1].decode()
        try:
            if header == OVERVIEW_CSV_HEADER:
                overview = read_day_table(self.location, OVERVIEW, day, index).to_pandas()
                return format_lines(overview_columns(overview), OVERVIEW_CSV_COLUMNS)
            options = read_day_table(self.location, OPTIONS, day, index).to_pandas()
        except FileNotFoundError:
            return []
        tag, offset = path.parent.parent.name, int(path.parent.name)
        rows = option_rows(options[(options["expiry_tag"] == tag) & (options["offset"] == offset)])
        tp = rows["tp"].to_numpy(float)
        nan = np.full(len(tp), np.nan)
        return format_lines(classic_columns(rows, changes(tp, nan, nan)), CLASSIC_COLUMNS)

    @staticmethod
    def _recompute_changes(lines: list[bytes], prev_of: Callable[[bytes], float]) -> list[bytes]:
        """The change columns of a day's lines again; `prev_of(expiry date)` is the contract's previous tp."""
        fields = [ln.rstrip(b"\n").split(b",") for ln in lines]
        tp = np.array([finite_float(f[TP_FIELD]) for f in fields])
        known = tp[~np.isnan(tp)]
        first = np.full(len(tp), known[0] if len(known) else np.nan)
        bases = {e: prev_of(e) for e in {f[_EXPIRY] for f in fields}}
        prev = np.array([bases[f[_EXPIRY]] for f in fields], dtype=float)
        tails = format_lines(changes(tp, first, prev), CHANGE_COLUMNS)
        return [b",".join(f[:_KEEP]) + b"," + t for f, t in zip(fields, tails, strict=True)]

    def _prev_tp(self, path: UPath, day: date, expiry: bytes) -> float:
        """Last known tp of the contract expiring on `expiry` (`YYYY-MM-DD`) in the latest earlier day's file of
        the series, else in that day's file of another tag at the same offset that held the contract (the tags
        roll the day after an expiry); NaN when there is none."""
        loc = self.location
        folder = path.parent
        today = f"{day.isoformat()}.csv"
        earlier = [n for n in loc.list_names(folder) if n.endswith(".csv") and n < today]
        if not earlier:
            return np.nan
        own_tag, index_dir = folder.parent.name, folder.parent.parent
        others = [index_dir.joinpath(t, folder.name, earlier[-1]) for t in EXPIRY_TAGS if t != own_tag]
        for candidate in (folder / earlier[-1], *others):
            tp = self._last_tp(candidate, expiry)
            if not np.isnan(tp):
                return tp
        return np.nan

    def _last_tp(self, path: UPath, expiry: bytes) -> float:
        """The last known tp of a file's lines of one expiry date (NaN when the file holds none)."""
        ends = self.location.read_ends(path, 8192)
        if ends is None:
            return np.nan
        for line in reversed(ends[1].split(b"\n")):
            fields = line.split(b",")
            if len(fields) == len(CLASSIC_COLUMNS) and fields[0] != b"timestamp" and fields[_EXPIRY] == expiry:
                tp = finite_float(fields[TP_FIELD])
                if not np.isnan(tp):
                    return tp
        return np.nan

    # ---- the backfill path ------------------------------------------------------------------------------

    def write_day(self, chains: Sequence[EnrichedChain]) -> tuple[int, int]:
        """Write the chains of one index for one day as whole files (replacing that day's files)."""
        if not chains:
            raise StorageError("write_day needs at least one chain")
        options = pd.concat([c.options for c in chains], ignore_index=True)
        return self.write_day_frames(options, pd.DataFrame([c.overview for c in chains]))

    def write_day_frames(self, options: pd.DataFrame, overview: pd.DataFrame) -> tuple[int, int]:
        """Write a whole day of one index from frames (a vectorised backfill); returns (rows, bytes)."""
        stamps = pd.DatetimeIndex(options["timestamp"]).tz_convert(MARKET_TZ_NAME)
        days, indices = set(stamps.date), set(options["index"])
        if len(days) != 1 or len(indices) != 1:
            raise StorageError(
                f"write_day takes one index on one day, got {sorted(indices)} on {sorted(days)}"
            )
        day, index = days.pop(), str(indices.pop())
        rows = option_rows(options)
        loc = self.location
        group = rows["expiry_tag"].astype(str) + "|" + rows["offset"].astype(str)
        starts = np.flatnonzero(np.r_[True, group.to_numpy()[1:] != group.to_numpy()[:-1]])
        bounds = np.r_[starts, len(rows)]
        tp = rows["tp"].to_numpy(float)
        first = np.empty(len(rows))
        prev = np.empty(len(rows))
        paths = []
        tags, offsets = rows["expiry_tag"].astype(str).tolist(), rows["offset"].astype(int).tolist()
        expiries = _expiries(rows)
        for a, b in itertools.pairwise(bounds):
            path = loc.classic_csv(index, tags[a], offsets[a], day)
            paths.append(path)
            seg = tp[a:b]
            known = seg[~np.isnan(seg)]
            first[a:b] = known[0] if len(known) else np.nan
            bases = {e: self._prev_tp(path, day, e) for e in set(expiries[a:b])}
            prev[a:b] = [bases[e] for e in expiries[a:b]]
        lines = format_lines(classic_columns(rows, changes(tp, first, prev)), CLASSIC_COLUMNS)
        size = 0
        for path, (a, b) in zip(paths, itertools.pairwise(bounds), strict=True):
            size += loc.write_atomic(path, CLASSIC_HEADER + b"".join(lines[a:b]), durable=False)
        over = overview.sort_values("timestamp", kind="stable")
        over_lines = format_lines(overview_columns(over), OVERVIEW_CSV_COLUMNS)
        size += loc.write_atomic(
            loc.overview_csv(index, day), OVERVIEW_CSV_HEADER + b"".join(over_lines), durable=False
        )
        return len(lines), size


def _after_every_line(plan: _Plan, line: bytes) -> bool:
    """Whether `line` goes after every line of an intact file (an append, the minute path's usual case)."""
    return plan.mode == "append" and sort_key(line_key(line)) > sort_key(plan.last_key)


def _expiries(rows: pd.DataFrame) -> list[bytes]:
    """Each row's expiry date as its CSV field holds it (`YYYY-MM-DD`, empty when unknown)."""
    return [e.encode() if isinstance(e, str) else b"" for e in rows["expiry_date"].tolist()]
