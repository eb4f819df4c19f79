"""A small Server-Sent Events client over http.client, for the server tests."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit


class SSEReader:
    """One `/events` connection; `next()` returns (event, data) pairs as they arrive."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.conn.request("GET", path, headers=headers or {})
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.raw: list[str] = []

    def next(self) -> tuple[str, Any]:
        """The next event (blocking up to the timeout); heartbeats included."""
        event, data = "message", list[str]()
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("stream closed")
            text = line.decode("utf-8").rstrip("\n")
            self.raw.append(text)
            if text == "":
                if data:
                    return event, json.loads("\n".join(data))
                event = "message"
                continue
            field, _, value = text.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)

    def until(self, name: str, limit: float = 30.0) -> Any:
        """Data of the next event called `name`, skipping others."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            event, data = self.next()
            if event == name:
                return data
        raise TimeoutError(f"no {name} event within {limit}s")

    def close(self) -> None:
        """Drop the connection (the response holds the socket open until it is closed too)."""
        self.response.close()
        self.conn.close()
