"""The event hub behind `GET /events`: watches the status and panel files and fans changes out to clients.

Each client has its own bounded queue. Publishing never waits for a client: one whose queue is full is
disconnected (its browser reconnects and gets a fresh full snapshot), so a slow reader cannot hold back the
others.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from g6_pipeline.core.clock import IST
from g6_pipeline.live.jsonfile import read_json_object
from g6_pipeline.live.panels import PANEL_NAMES, panels_dir, read_panel
from g6_pipeline.live.status import status_path
from g6_pipeline.storage.location import DataLocation

log = logging.getLogger(__name__)


def encode_event(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One Server-Sent Event frame."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    lines += [f"data: {line}" for line in text.splitlines() or [""]]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


@dataclass(eq=False)
class Client:
    """One connected `/events` reader."""

    queue: queue.Queue[bytes | None]
    connection: socket.socket | None = None
    dropped: bool = False
    """Set when the client fell too far behind and was disconnected."""

    def close(self) -> None:
        """Wake the client's writer and stop it (also unblocks a write stuck on a full socket)."""
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


@dataclass
class _FileMark:
    stamp: tuple[int, int] | None = None
    hash: str | None = None


@dataclass
class Hub:
    """Keeps the latest status and panels of a data location and publishes every change to the clients."""

    location: DataLocation
    max_clients: int = 32
    queue_size: int = 64
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clients: set[Client] = field(default_factory=set)
    _status: dict[str, Any] | None = None
    _panels: dict[str, dict[str, Any]] = field(default_factory=dict)
    _marks: dict[str, _FileMark] = field(default_factory=dict)
    _sequence: int = 0

    @property
    def client_count(self) -> int:
        """Clients connected now."""
        with self._lock:
            return len(self._clients)

    def snapshot(self) -> dict[str, Any]:
        """The full state a new client starts from."""
        with self._lock:
            return {"status": self._status, "panels": dict(self._panels)}

    def connect(self, connection: socket.socket | None = None) -> Client | None:
        """Register a client with the full snapshot queued first; None when the client cap is reached."""
        with self._lock:
            if len(self._clients) >= self.max_clients:
                return None
            client = Client(queue.Queue(maxsize=self.queue_size), connection)
            self._sequence += 1
            full = {"status": self._status, "panels": dict(self._panels)}
            client.queue.put_nowait(encode_event("full_snapshot", full, self._sequence))
            self._clients.add(client)
            return client

    def disconnect(self, client: Client) -> None:
        """Forget a client."""
        with self._lock:
            self._clients.discard(client)

    def close_all(self) -> None:
        """Disconnect every client (server shutdown)."""
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for client in clients:
            client.close()

    def publish(self, event: str, data: Any) -> None:
        """Queue one event for every client without ever blocking; drop clients whose queue is full."""
        with self._lock:
            self._sequence += 1
            frame = encode_event(event, data, self._sequence)
            laggards = []
            for client in self._clients:
                try:
                    client.queue.put_nowait(frame)
                except queue.Full:
                    laggards.append(client)
            for client in laggards:
                self._clients.discard(client)
                client.dropped = True
        for client in laggards:
            log.info("dropped an events client that fell %d events behind", self.queue_size)
            client.close()

    def poll(self) -> int:
        """Read whatever changed on disk since the last poll and publish it; return the number of events."""
        published = 0
        status_file = status_path(self.location)
        if self._changed("status", status_file):
            document = read_json_object(status_file).document
            if document is not None and document != self._status:
                with self._lock:
                    self._status = document
                self.publish("status", document)
                published += 1
        folder = panels_dir(self.location)
        for name in PANEL_NAMES:
            if not self._changed(name, folder / f"{name}.json"):
                continue
            doc = read_panel(self.location, name)
            mark = self._marks[name]
            if doc is None or doc["meta"]["hash"] == mark.hash:
                continue
            mark.hash = doc["meta"]["hash"]
            with self._lock:
                self._panels[name] = doc
            self.publish("panel_update", doc)
            published += 1
        return published

    def run(self, stop: threading.Event, interval: float) -> None:
        """Poll every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                self.poll()
            except Exception:  # keep serving whatever a bad file does
                log.exception("reading the live files failed")
            stop.wait(interval)

    def _changed(self, key: str, path: Path) -> bool:
        """Whether the file exists and its (mtime, size) differs from the last look."""
        mark = self._marks.setdefault(key, _FileMark())
        try:
            info = os.stat(path)
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
        if stamp == mark.stamp:
            return False
        mark.stamp = stamp
        return stamp is not None


def heartbeat_frame() -> bytes:
    """A heartbeat event carrying the server time."""
    return encode_event("heartbeat", {"time": datetime.now(IST).isoformat()})
