"""Peak memory of a process tree, read from /proc (no psutil): a thread polls every process below a root pid
and keeps, per process, its command kind and the highest VmHWM (peak resident set) and VmRSS it saw.

Kinds come from the command line: `dagster dev`, the daemon, the webserver, the code server, and run workers
(`dagster api execute_run`); anything else is `other`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
KINDS = (
    ("execute_run", "run worker"),
    ("dagster._daemon", "daemon"),
    ("dagster_webserver", "webserver"),
    ("api grpc", "code server"),
    ("code-server start", "code server"),
    ("dagster dev", "dagster dev"),
)


@dataclass
class ProcessPeak:
    """The highest memory figures seen for one process, in kB."""

    pid: int
    kind: str
    hwm_kb: int = 0
    rss_kb: int = 0
    command: str = ""


def kind_of(cmdline: str) -> str:
    """The kind of a G6/Dagster process from its command line."""
    for needle, kind in KINDS:
        if needle in cmdline:
            return kind
    return "other"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def children_map() -> dict[int, list[int]]:
    """Parent pid → child pids of every process now running."""
    out: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(entry / "stat")
        if not stat:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command may hold spaces and parentheses
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    kids = children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def group_members(pgid: int) -> list[int]:
    """The live processes (not zombies) of process group `pgid`."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _read(entry / "stat").rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in kB; zeros when it is gone."""
    hwm = rss = 0
    for line in _read(PROC / str(pid) / "status").splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return hwm, rss


class TreeSampler:
    """Polls the tree under `root` every `interval` seconds in a daemon thread until `stop()`."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        """Sample the tree of `root`."""
        self.root, self.interval = root, interval
        self.peaks: dict[int, ProcessPeak] = {}
        self.peak_total_kb = 0
        """The highest sum of VmRSS over the tree at one sample."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> TreeSampler:
        """Start polling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        """One poll of the tree."""
        total = 0
        for pid in tree(self.root):
            peak = self.peaks.get(pid)
            if peak is None or peak.kind == "other":  # a child read between fork and exec shows its parent's
                cmdline = _read(PROC / str(pid) / "cmdline").replace("\0", " ").strip()
                peak = self.peaks[pid] = ProcessPeak(pid, kind_of(cmdline), *(
                    (peak.hwm_kb, peak.rss_kb) if peak else (0, 0)), command=cmdline[:120])
            hwm, rss = memory_kb(pid)
            peak.hwm_kb, peak.rss_kb = max(peak.hwm_kb, hwm), max(peak.rss_kb, rss)
            total += rss
        self.peak_total_kb = max(self.peak_total_kb, total)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def by_kind(self) -> dict[str, dict[str, Any]]:
        """Per kind: processes seen, the highest VmHWM of one of them in MiB, and that one's command line."""
        out: dict[str, dict[str, Any]] = {}
        for peak in self.peaks.values():
            if peak.hwm_kb == 0:
                continue
            entry = out.setdefault(peak.kind, {"processes": 0, "peak_mib": 0.0, "example": peak.command})
            entry["processes"] += 1
            if peak.hwm_kb / 1024 > entry["peak_mib"]:
                entry["peak_mib"], entry["example"] = round(peak.hwm_kb / 1024, 1), peak.command
        return out
