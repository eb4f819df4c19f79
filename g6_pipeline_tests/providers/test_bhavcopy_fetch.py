"""Downloading bhavcopies from an archive: a loopback HTTP server serves the same files the exchanges do."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.providers.bhavcopy import read_days
from g6_pipeline.providers.bhavcopy.fetch import fetch_days, weekdays
from g6_pipeline_tests.fakes.bhavcopy import Contract, bse_name, csv_bytes, nse_name, rows_of, write_zip

MONDAY, TUESDAY, WEDNESDAY = date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)


class Archive:
    """Files by URL path; anything else is a 404. Counts the requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, bytes]] = {}
        self.asked: Counter[str] = Counter()


@pytest.fixture
def archive() -> Iterator[tuple[Archive, str]]:
    served = Archive()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            served.asked[self.path] += 1
            status, body = served.files.get(self.path, (404, b"Not Found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def nse_zip(folder: Path, day: date) -> bytes:
    rows = rows_of(day, "NIFTY", 26000.0, [Contract(date(2026, 1, 13), 26000.0, s, 100.0) for s in ("CE", "PE")], 65)
    return write_zip(folder / nse_name(day), csv_bytes(rows)).read_bytes()


def test_days_are_downloaded_and_a_holiday_is_reported_missing(tmp_path: Path, archive: tuple[Archive, str]) -> None:
    served, url = archive
    source = tmp_path / "source"
    source.mkdir()
    served.files[f"/content/fo/{nse_name(MONDAY)}"] = (200, nse_zip(source, MONDAY))
    served.files[f"/content/fo/{nse_name(WEDNESDAY)}"] = (200, nse_zip(source, WEDNESDAY))
    sensex = rows_of(MONDAY, "SENSEX", 84000.0, [Contract(date(2026, 1, 8), 84000.0, "CE", 300.0)], 20, exchange="BSE")
    served.files[f"/bse/{bse_name(MONDAY)}"] = (200, csv_bytes(sensex))
    served.files[f"/bse/{bse_name(TUESDAY)}"] = (200, b"<html><body>No file</body></html>")  # BSE's answer
    folder = tmp_path / "bhavcopy"
    seen: list[Any] = []
    results = fetch_days(
        weekdays(MONDAY, date(2026, 1, 11)), ["NSE", "BSE"], folder,
        {"NSE": f"{url}/content/fo/", "BSE": f"{url}/bse"}, pause=0, progress=seen.append,
    )
    assert seen == results
    status = {(r.exchange, r.day): r.status for r in results}
    assert status == {
        ("NSE", MONDAY): "downloaded", ("BSE", MONDAY): "downloaded",
        ("NSE", TUESDAY): "missing", ("BSE", TUESDAY): "missing",
        ("NSE", WEDNESDAY): "downloaded", ("BSE", WEDNESDAY): "missing",
        ("NSE", date(2026, 1, 8)): "missing", ("BSE", date(2026, 1, 8)): "missing",
        ("NSE", date(2026, 1, 9)): "missing", ("BSE", date(2026, 1, 9)): "missing",
    }  # no request for the weekend
    missing = next(r for r in results if (r.exchange, r.day) == ("NSE", TUESDAY))
    assert missing.line() == "NSE 2026-01-06 missing: no file (HTTP 404: a holiday, or not published yet)"
    assert (folder / nse_name(MONDAY)).read_bytes() == served.files[f"/content/fo/{nse_name(MONDAY)}"][1]
    assert not (folder / bse_name(TUESDAY)).exists()
    days = read_days(sorted(r.path for r in results if r.path is not None))
    assert sorted((d.underlying, d.day) for d in days) == [("NIFTY", MONDAY), ("NIFTY", WEDNESDAY), ("SENSEX", MONDAY)]


def test_a_file_already_fetched_is_not_asked_for_again(tmp_path: Path, archive: tuple[Archive, str]) -> None:
    served, url = archive
    path = f"/fo/{nse_name(MONDAY)}"
    served.files[path] = (200, nse_zip(tmp_path, MONDAY))
    folder = tmp_path / "out"
    first = fetch_days([MONDAY], ["NSE"], folder, {"NSE": f"{url}/fo"}, pause=0)
    again = fetch_days([MONDAY], ["NSE"], folder, {"NSE": f"{url}/fo"}, pause=0)
    assert [r.status for r in first + again] == ["downloaded", "present"]
    assert served.asked[path] == 1


def test_a_server_error_fails_that_day_only(tmp_path: Path, archive: tuple[Archive, str]) -> None:
    served, url = archive
    served.files[f"/fo/{nse_name(MONDAY)}"] = (503, b"busy")
    served.files[f"/fo/{nse_name(TUESDAY)}"] = (200, b"TradDt,not a zip")
    served.files[f"/fo/{nse_name(WEDNESDAY)}"] = (200, nse_zip(tmp_path, WEDNESDAY))
    results = fetch_days([MONDAY, TUESDAY, WEDNESDAY], ["NSE"], tmp_path / "out", {"NSE": f"{url}/fo"}, pause=0)
    assert [r.status for r in results] == ["failed", "failed", "downloaded"]
    assert results[0].message == f"HTTP 503 from {url}/fo/{nse_name(MONDAY)}"
    assert results[1].message.endswith("is not a bhavcopy")
    unreachable = fetch_days([MONDAY], ["NSE"], tmp_path / "none", {"NSE": "http://127.0.0.1:9/"}, pause=0, timeout=5)
    assert unreachable[0].status == "failed" and "ConnectionError" in unreachable[0].message
