"""Where every file G6 writes lives, and the few operations the writers need (atomic writes, appends, listing).

`DataLocation` wraps the data directory as a `UPath`, so the root can be a local folder or any fsspec URL
(`file://`, `memory://`, `s3://...`) with no change elsewhere. This module is the only place that knows the
difference: on a local disk a write goes to a hidden temporary file in the same folder, is fsynced and then
renamed over the target (`os.replace`); on an object store a single put is already atomic. Temporary files
start with a dot, so listings (and pyarrow's dataset discovery) never see them.

The Parquet tables form a Hive tree partitioned by day only, `parquet/<table>/date=YYYY-MM-DD/<INDEX>/`:
the index is a column of the files, never a partition key, so every standard reader gives the same columns.
Within an index folder there is either one sealed `day.parquet` or the day's minute slices, never both;
kept raw slices, the seal's staged files and the layout marker live beside the tree under `parquet/`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import date, datetime
from datetime import time as dtime

import pyarrow.fs as pafs
from upath import UPath

from g6_pipeline.util.atomic_file import write_atomic

LOCAL_PROTOCOLS = frozenset({"", "file", "local"})
SEALED_NAME = "day.parquet"
RAW_DIR = "_raw"
STAGING_DIR = "_staging"
QUARANTINE_DIR = "_quarantine"
DAY_PREFIX = "date="
LAYOUT_MARKER = "_layout.json"
PROBE_NAME = ".g6-diagnose-probe"
LOCKS_DIR = ".g6-locks"
WEEKDAY_NAMES: tuple[str, ...] = (
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
)


def format_offset(offset: int) -> str:
    """The original's folder name of a strike offset: `0`, `+50`, `-100`."""
    value = int(offset)
    return f"+{value}" if value > 0 else str(value)


def minute_key(moment: datetime | dtime) -> str:
    """`HHMM` of a collection minute (the name of its slice)."""
    return f"{moment.hour:02d}{moment.minute:02d}"


def is_minute_slice_name(name: str) -> bool:
    """Whether a file name is that of a minute slice, `HHMM.parquet`."""
    stem = name.removesuffix(".parquet")
    return name.endswith(".parquet") and len(stem) == 4 and stem.isdigit()


def _dates(texts: Iterable[str]) -> list[date]:
    """The ISO dates among `texts`, sorted (anything else is skipped)."""
    days = []
    for text in texts:
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            continue
    return sorted(days)


class DataLocation:
    """The data directory: every path G6 writes is built here, and every write goes through here."""

    def __init__(self, root: str | os.PathLike[str] | UPath) -> None:
        path = root if isinstance(root, UPath) else UPath(os.fspath(root))
        self.is_local = path.protocol in LOCAL_PROTOCOLS
        if self.is_local:
            path = UPath(os.path.abspath(path.path))
        self.root: UPath = path

    def __repr__(self) -> str:
        return f"DataLocation({str(self.root)!r})"

    # ---- layout: Parquet -----------------------------------------------------------------------------

    def parquet_root(self) -> UPath:
        """`parquet/`: the Parquet tables, the kept raw slices, the seal's staging area and the layout marker."""
        return self.root / "parquet"

    def table_root(self, table: str) -> UPath:
        """`parquet/<table>/`: every stored day of one table (`options` or `overview`): the partition tree."""
        return self.parquet_root() / table

    def day_dir(self, table: str, day: date) -> UPath:
        """`parquet/<table>/date=<YYYY-MM-DD>/`: the Hive partition of one trading day (every index)."""
        return self.table_root(table) / f"{DAY_PREFIX}{day.isoformat()}"

    def table_dir(self, table: str, day: date, index: str) -> UPath:
        """`parquet/<table>/date=<YYYY-MM-DD>/<INDEX>/`: one table for one trading day and index."""
        return self.day_dir(table, day) / index

    def minute_slice(self, table: str, day: date, index: str, minute: datetime | dtime) -> UPath:
        """`.../<INDEX>/HHMM.parquet`: the Parquet slice of one collection minute of a day not yet sealed."""
        return self.table_dir(table, day, index) / f"{minute_key(minute)}.parquet"

    def sealed_file(self, table: str, day: date, index: str) -> UPath:
        """`.../<INDEX>/day.parquet`: the compacted file of one day (written by the seal or by a backfill)."""
        return self.table_dir(table, day, index) / SEALED_NAME

    def raw_dir(self, table: str, day: date, index: str) -> UPath:
        """`parquet/_raw/<table>/<YYYY-MM-DD>/<INDEX>/`: a sealed day's minute slices, kept until pruned.

        Outside the partition tree, so no reader of `parquet/<table>/` ever sees them.
        """
        return self.parquet_root().joinpath(RAW_DIR, table, day.isoformat(), index)

    def quarantine_dir(self, table: str, day: date, index: str) -> UPath:
        """`parquet/_quarantine/<table>/<YYYY-MM-DD>/<INDEX>/`: minute slices that could not be read, moved out of
        the partition tree by the seal or a repair and kept for inspection."""
        return self.parquet_root().joinpath(QUARANTINE_DIR, table, day.isoformat(), index)

    def staged_file(self, table: str, day: date, index: str) -> UPath:
        """`parquet/_staging/<table>/<YYYY-MM-DD>/<INDEX>/day.parquet`: a sealed file not yet in the tree."""
        return self.parquet_root().joinpath(STAGING_DIR, table, day.isoformat(), index, SEALED_NAME)

    def layout_marker(self) -> UPath:
        """`parquet/_layout.json`: which Parquet layout the data directory holds (written by the migration)."""
        return self.parquet_root() / LAYOUT_MARKER

    # ---- layout: classic CSV and weekday master --------------------------------------------------------

    def classic_csv(self, index: str, expiry_tag: str, offset: int, day: date) -> UPath:
        """`g6_data/<INDEX>/<expiry_tag>/<offset>/<YYYY-MM-DD>.csv`: the classic per-strike CSV of one series."""
        return self.root.joinpath(
            "g6_data", index, expiry_tag, format_offset(offset), f"{day.isoformat()}.csv"
        )

    def overview_csv(self, index: str, day: date) -> UPath:
        """`g6_data/overview/<INDEX>/<YYYY-MM-DD>.csv`: the classic overview CSV of one index and day."""
        return self.root.joinpath("g6_data", "overview", index, f"{day.isoformat()}.csv")

    def weekday_master_root(self) -> UPath:
        """`weekday_master/`: root of the weekday master tree."""
        return self.root / "weekday_master"

    def weekday_master_file(self, index: str, expiry_tag: str, offset: int, weekday: str) -> UPath:
        """`weekday_master/<INDEX>/<expiry_tag>/<offset>/<WEEKDAY>.csv`."""
        return self.weekday_master_root().joinpath(index, expiry_tag, format_offset(offset), f"{weekday}.csv")

    def weekday_aggregate_dir(self, index: str) -> UPath:
        """`weekday_master/_days/<INDEX>/`: the records of the days folded into one index's weekday master."""
        return self.weekday_master_root().joinpath("_days", index)

    def weekday_day_record(self, index: str, day: date) -> UPath:
        """`weekday_master/_days/<INDEX>/<YYYY-MM-DD>.json`: that the day is folded into its weekday master, and
        its sources (the values are read from the sealed day)."""
        return self.weekday_aggregate_dir(index) / f"{day.isoformat()}.json"

    def weekday_day_aggregate(self, index: str, day: date) -> UPath:
        """`weekday_master/_days/<INDEX>/<YYYY-MM-DD>.parquet`: a stored day aggregate of earlier versions (replaced
        by the day's record when its weekday is next rebuilt)."""
        return self.weekday_aggregate_dir(index) / f"{day.isoformat()}.parquet"

    def dte_sample_file(self, index: str, expiry_tag: str, sessions_to_expiry: int) -> UPath:
        """`dte_master/<INDEX>/<tag>/dte=NN.parquet`: the days-to-expiry master's values of one index's expiry tag
        at one number of sessions to expiry, a row per folded day and minute of session."""
        return self.root.joinpath("dte_master", index, expiry_tag, f"dte={sessions_to_expiry:02d}.parquet")

    def weekday_state_file(self, index: str, weekday: str) -> UPath:
        """`weekday_master/_state/<INDEX>/<WEEKDAY>.parquet`: the running state of one index's weekday master (its
        means, EMAs and counts per key and its ledger of days), from which a new day is folded."""
        return self.weekday_master_root().joinpath("_state", index, f"{weekday}.parquet")

    def weekday_quality_file(self, index: str, day: date) -> UPath:
        """`weekday_master/_quality/<INDEX>/overlay_quality_<YYYY-MM-DD>.json`: one partition's quality report."""
        return self.weekday_master_root().joinpath("_quality", index, f"overlay_quality_{day.isoformat()}.json")

    def seal_record_file(self, index: str, day: date) -> UPath:
        """`parquet/_seal/<INDEX>/<YYYY-MM-DD>.json`: what the seal of one (day, index) found, its checks."""
        return self.parquet_root().joinpath("_seal", index, f"{day.isoformat()}.json")

    # ---- layout: caches and local state ----------------------------------------------------------------

    def reference_file(self, index: str, day: date) -> UPath:
        """`_reference/<INDEX>/<YYYY-MM-DD>.json`: the kept session reference of one index and day."""
        return self.root.joinpath("_reference", index, f"{day.isoformat()}.json")

    def reference_failure_file(self, index: str, day: date) -> UPath:
        """`_reference/<INDEX>/.<YYYY-MM-DD>.unreadable.json`: why the day's reference could not be read, and
        when to try again (so a broken file is not re-read every minute)."""
        return self.root.joinpath("_reference", index, f".{day.isoformat()}.unreadable.json")

    def daily_closes_file(self, index: str) -> UPath:
        """`_reference/<INDEX>/daily_closes.json`: each stored day's closing ATM IV per tag (for IV rank)."""
        return self.root.joinpath("_reference", index, "daily_closes.json")

    def influx_spool_dir(self) -> UPath:
        """`_spool/influx/`: InfluxDB points waiting for the server to answer again."""
        return self.root.joinpath("_spool", "influx")

    def instruments_dir(self) -> UPath:
        """`instruments/`: the instrument dump cache (when the data directory is local)."""
        return self.root / "instruments"

    def instrument_archive_file(self, exchange: str, day: date) -> UPath:
        """`instrument_archive/<EXCHANGE>/<YYYY-MM-DD>.parquet`: Kite's instrument dump of one exchange and day,
        kept for good (the cache under `instruments/` keeps a few days only)."""
        return self.root.joinpath("instrument_archive", exchange, f"{day.isoformat()}.parquet")

    def panels_dir(self) -> UPath:
        """`panels/`: the live dashboard's panel files and their manifest (local data directory only)."""
        return self.root / "panels"

    def runtime_status_file(self) -> UPath:
        """`runtime_status.json`: the live status of the last collection cycle (local data directory only)."""
        return self.root / "runtime_status.json"

    def provider_state_file(self) -> UPath:
        """`_state/provider.json`: the provider's circuit breaker and strike-window centres, kept between runs."""
        return self.root.joinpath("_state", "provider.json")

    def probe_file(self) -> UPath:
        """`.g6-diagnose-probe`: the hidden file `g6 diagnose` writes and removes to prove the directory writable."""
        return self.root / PROBE_NAME

    def partition_lock_file(self, day: date, index: str) -> UPath:
        """`.g6-locks/<YYYY-MM-DD>/<INDEX>.lock`: the hidden lock file a writer of one (day, index) holds while it
        commits (`storage.writer`); empty when nobody holds it, harmless when left behind."""
        return self.root.joinpath(LOCKS_DIR, day.isoformat(), f"{index}.lock")

    def state_lock_file(self, state: UPath) -> UPath:
        """`.g6-locks/_state/<path under the root>.lock`: the lock a writer of a state file that belongs to no
        single partition (the weekday master's running state of one index and weekday) holds while it commits."""
        relative = str(state.path)[len(str(self.root.path)):].strip("/")
        return self.root.joinpath(LOCKS_DIR, "_state", f"{relative}.lock")

    # ---- listings of the layout ------------------------------------------------------------------------

    def minute_slice_names(self, folder: UPath) -> list[str]:
        """Sorted names of the minute slices (`HHMM.parquet`) in a folder."""
        return [n for n in self.list_names(folder) if is_minute_slice_name(n)]

    def table_days(self, table: str) -> list[date]:
        """The days stored for one table (any index), in date order."""
        names = self.list_names(self.table_root(table))
        return _dates(n.removeprefix(DAY_PREFIX) for n in names if n.startswith(DAY_PREFIX))

    def table_indices(self, table: str, day: date) -> list[str]:
        """The indices stored for one table and day, sorted."""
        names = self.list_names(self.day_dir(table, day))
        return [n for n in names if "=" not in n and not n.endswith(".parquet")]

    def staged_partitions(self, table: str) -> list[tuple[date, str]]:
        """(day, index) of every sealed file left in the staging area (a seal that did not finish)."""
        root = self.parquet_root().joinpath(STAGING_DIR, table)
        found = []
        for day in _dates(self.list_names(root)):
            for index in self.list_names(root / day.isoformat()):
                if self.exists(self.staged_file(table, day, index)):
                    found.append((day, index))
        return found

    def weekday_aggregate_days(self, index: str) -> list[date]:
        """The days of one index folded into its weekday master (a record or an earlier aggregate), in date order."""
        names = self.list_names(self.weekday_aggregate_dir(index))
        stems = {n.rsplit(".", 1)[0] for n in names if n.endswith((".json", ".parquet"))}
        return _dates(stems)

    def weekday_master_series(self, index: str) -> list[tuple[str, int]]:
        """The (expiry tag, offset) series that have a weekday-master folder for one index."""
        root = self.weekday_master_root() / index
        series = []
        for tag in self.list_names(root):
            for name in self.list_names(root / tag):
                try:
                    series.append((tag, int(name)))
                except ValueError:
                    continue
        return series

    # ---- operations -----------------------------------------------------------------------------------

    def write_atomic(self, path: UPath, data: bytes, *, durable: bool = True) -> int:
        """Replace `path` with `data` so that readers see the old or the new file, never a mix.

        Local: hidden temporary file in the same folder, fsync (unless `durable` is False), `os.replace`; the
        temporary file is removed if anything fails. Object stores: one put. Returns the bytes written.
        """
        if not self.is_local:
            path.fs.pipe_file(path.path, data)
            return len(data)
        return write_atomic(path.path, data, durable=durable)

    def append(self, path: UPath, data: bytes) -> int:
        """Append `data` (complete lines) to an existing file.

        Local: one `write` on an O_APPEND descriptor, so the existing content is never touched. Object stores
        cannot append: the file is read and put back whole, which is atomic there.
        """
        if not self.is_local:
            return self.write_atomic(path, self.read_bytes(path) + data)
        fd = os.open(path.path, os.O_WRONLY | os.O_APPEND)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(f"short append to {path}: {written} of {len(data)} bytes")
        return written

    def read_bytes(self, path: UPath) -> bytes:
        """The whole content of a file."""
        if self.is_local:
            with open(path.path, "rb") as handle:
                return handle.read()
        return bytes(path.fs.cat_file(path.path))

    def read_ends(self, path: UPath, nbytes: int = 4096) -> tuple[bytes, bytes, int] | None:
        """(first `nbytes`, last `nbytes`, size) of a file, or None if it does not exist."""
        try:
            if self.is_local:
                with open(path.path, "rb") as handle:
                    head = handle.read(nbytes)
                    size = os.fstat(handle.fileno()).st_size
                    if size <= nbytes:
                        return head, head, size
                    handle.seek(size - nbytes)
                    return head, handle.read(nbytes), size
            data = self.read_bytes(path)
        except FileNotFoundError:
            return None
        return data[:nbytes], data[-nbytes:], len(data)

    def arrow_filesystem(self) -> pafs.FileSystem:
        """The data directory's filesystem for pyarrow readers (paths are `UPath.path`)."""
        if self.is_local:
            return pafs.LocalFileSystem()
        return pafs.PyFileSystem(pafs.FSSpecHandler(self.root.fs))

    def exists(self, path: UPath) -> bool:
        """Whether a file or folder exists."""
        if self.is_local:
            return os.path.exists(path.path)
        return bool(path.fs.exists(path.path))

    def size(self, path: UPath) -> int:
        """Size of a file in bytes."""
        if self.is_local:
            return os.path.getsize(path.path)
        return int(path.fs.size(path.path))

    def remove(self, path: UPath) -> None:
        """Delete one file (missing is fine)."""
        with contextlib.suppress(FileNotFoundError):
            if self.is_local:
                os.unlink(path.path)
            else:
                path.fs.rm_file(path.path)

    def move(self, source: UPath, target: UPath) -> None:
        """Move a file, replacing the target."""
        if self.is_local:
            os.makedirs(os.path.dirname(target.path), exist_ok=True)
            os.replace(source.path, target.path)
        else:
            source.fs.mv(source.path, target.path)

    def remove_empty_dir(self, folder: UPath) -> None:
        """Remove a folder if it is empty (object stores have no folders to remove)."""
        if self.is_local:
            with contextlib.suppress(FileNotFoundError, OSError):
                os.rmdir(folder.path)

    def list_names(self, folder: UPath) -> list[str]:
        """Sorted names of the visible entries of a folder (hidden temporary files excluded; missing → [])."""
        try:
            if self.is_local:
                names = os.listdir(folder.path)
            else:
                names = [p.rstrip("/").rsplit("/", 1)[-1] for p in folder.fs.ls(folder.path, detail=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(n for n in names if not n.startswith("."))
