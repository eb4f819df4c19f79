"""Exit 0 when HOST:PORT can be bound; else print one line naming what holds it and exit 1.

Used by `make run` so a second `make run` stops at once instead of starting a second daemon.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def holder(port: int) -> str:
    """`pid N (command line)` of the process listening on `port`, or a hint when it cannot be seen."""
    inodes = _listening_inodes(port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(link == f"socket:[{inode}]" for inode in inodes for link in links):
            return f"pid {proc.name} ({command[:120]})"
    return "another process"


def main(host: str, port: int) -> int:
    """Try to bind; report the holder on failure."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            print(f"{host}:{port} is in use by {holder(port)}: stop it, or `make run PORT=<other>`", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
