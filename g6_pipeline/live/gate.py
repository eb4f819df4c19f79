"""The connection gate of the live server: no worker thread is spent on a connection until its request is in.

Accepted connections wait in one selector thread until a complete header block has arrived. A connection that
sends nothing for `idle_timeout` seconds (a fresh one, or a keep-alive one between requests) is closed; one whose
headers are not complete `request_timeout` seconds after their first byte gets 408 and is closed; headers above
`MAX_HEADER_BYTES` get 431. A complete request goes to a fixed pool of worker threads through a bounded queue
(full: 503 at once). A worker serves one request; a keep-alive connection then comes back to the gate.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16_384
MAX_WAITING = 1_024
"""Connections the gate holds at most; one more is closed on arrival."""
HEADER_ENDS = (b"\r\n\r\n", b"\n\n")


@dataclass(frozen=True)
class Request:
    """A connection whose request headers are complete: `head` is the header block, `rest` what followed it."""

    sock: socket.socket
    address: Any
    head: bytes
    rest: bytes


Serve = Callable[[Request], bool]
"""Serves one request on its socket; True keeps the connection open for another request."""


@dataclass(eq=False)
class _Waiting:
    sock: socket.socket
    address: Any
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)


def _reply(sock: socket.socket, status: str) -> None:
    """Best-effort tiny error answer on a non-blocking socket, then close."""
    body = status.encode("ascii")
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with contextlib.suppress(OSError):
        sock.send(head.encode("ascii") + body)
    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


def _header_end(buffer: bytearray) -> int:
    """Index just past the blank line that ends the headers, or -1."""
    ends = [(at + len(mark)) for mark in HEADER_ENDS if (at := buffer.find(mark)) >= 0]
    return min(ends) if ends else -1


class Gate:
    """The selector thread that waits for requests plus the worker pool that serves them."""

    def __init__(self, serve: Serve, workers: int, idle_timeout: float, request_timeout: float,
                 write_timeout: float) -> None:
        self._serve = serve
        self.workers = workers
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.write_timeout = write_timeout
        self._jobs: queue.Queue[Request | None] = queue.Queue(maxsize=workers * 4)
        self._arrivals: deque[tuple[socket.socket, Any, bytes]] = deque()
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def waiting(self) -> int:
        """Connections waiting for a complete request now."""
        return len(self._selector.get_map()) - 1

    def start(self) -> None:
        """Start the selector thread and the workers."""
        self._threads = [threading.Thread(target=self._watch, name="g6-live-gate", daemon=True)]
        self._threads += [threading.Thread(target=self._work, name=f"g6-live-worker-{n}", daemon=True)
                          for n in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def add(self, sock: socket.socket, address: Any, rest: bytes = b"") -> None:
        """Hand a connection to the gate (any thread); `rest` is what the client already sent."""
        self._arrivals.append((sock, address, rest))
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def stop(self) -> None:
        """Close every waiting connection and stop the threads (workers finish their current request)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        watcher, workers = self._threads[:1], self._threads[1:]
        for thread in watcher:
            thread.join(timeout=5)
        with contextlib.suppress(queue.Empty):
            while True:
                job = self._jobs.get_nowait()
                if job is not None:
                    _close(job.sock)
        for _ in range(self.workers):
            self._jobs.put(None)
        for thread in workers:
            thread.join(timeout=5)
        self._wake_read.close()
        self._wake_write.close()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            for key, _ in self._selector.select(timeout=0.25):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_read.recv(4096)
                else:
                    self._read(key.data)
            self._admit()
            self._expire(time.monotonic())
        for key in list(self._selector.get_map().values()):
            if key.data is not None:
                _close(key.data.sock)
        self._selector.close()

    def _admit(self) -> None:
        while self._arrivals:
            sock, address, rest = self._arrivals.popleft()
            if self._stopping.is_set() or self.waiting >= MAX_WAITING:
                _close(sock)
                continue
            waiting = _Waiting(sock, address, time.monotonic() + self.idle_timeout)
            try:
                sock.setblocking(False)
                self._selector.register(sock, selectors.EVENT_READ, waiting)
            except (OSError, ValueError):
                _close(sock)
                continue
            if rest:
                self._received(waiting, rest)

    def _read(self, waiting: _Waiting) -> None:
        try:
            chunk = waiting.sock.recv(65_536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._selector.unregister(waiting.sock)
            _close(waiting.sock)
            return
        self._received(waiting, chunk)

    def _received(self, waiting: _Waiting, chunk: bytes) -> None:
        if not waiting.buffer:
            waiting.deadline = time.monotonic() + self.request_timeout
        waiting.buffer += chunk
        end = _header_end(waiting.buffer)
        if end < 0 and len(waiting.buffer) <= MAX_HEADER_BYTES:
            return
        self._selector.unregister(waiting.sock)
        if end < 0 or end > MAX_HEADER_BYTES:
            _reply(waiting.sock, "431 Request Header Fields Too Large")
            return
        request = Request(waiting.sock, waiting.address, bytes(waiting.buffer[:end]), bytes(waiting.buffer[end:]))
        waiting.sock.settimeout(self.write_timeout)
        try:
            self._jobs.put_nowait(request)
        except queue.Full:
            _reply(waiting.sock, "503 Service Unavailable")

    def _expire(self, now: float) -> None:
        for key in list(self._selector.get_map().values()):
            waiting = key.data
            if waiting is None or waiting.deadline > now:
                continue
            self._selector.unregister(waiting.sock)
            if waiting.buffer:
                _reply(waiting.sock, "408 Request Timeout")
            else:
                _close(waiting.sock)

    def _work(self) -> None:
        while True:
            request = self._jobs.get()
            if request is None:
                return
            keep = False
            try:
                keep = self._serve(request)
            except Exception:  # one bad request must not take a worker down
                log.exception("serving a live request failed")
            if keep and not self._stopping.is_set():
                self.add(request.sock, request.address, request.rest)
            else:
                _close(request.sock)
