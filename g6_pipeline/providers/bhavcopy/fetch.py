"""Downloading F&O bhavcopies from the exchanges' archives into a folder, one file per (exchange, day).

NSE keeps `BhavCopy_NSE_FO_0_0_0_YYYYMMDD_F_0000.csv.zip` under `https://archives.nseindia.com/content/fo/`,
BSE `BhavCopy_BSE_FO_0_0_0_YYYYMMDD_F_0000.CSV` under `https://www.bseindia.com/download/Bhavcopy/Derivative/`;
the base URL of each is configurable (a mirror, a loopback server in tests). A file already in the folder is
not downloaded again. A day the archive has no file for (404, a holiday; BSE answers such a day with a web
page instead) is reported as `missing`, a day that could not be fetched as `failed` with the reason: neither
stops the other days. Only the archive's own answer is kept, written atomically under its archive name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import requests

from g6_pipeline.util.atomic_file import write_atomic
from g6_pipeline.util.redact import clean_text

ARCHIVE_URLS: dict[str, str] = {
    "NSE": "https://archives.nseindia.com/content/fo/",
    "BSE": "https://www.bseindia.com/download/Bhavcopy/Derivative/",
}
"""The exchanges' archive folders of the F&O bhavcopy (the default base URLs)."""
EXCHANGE_ARCHIVES: dict[str, str] = {"NFO": "NSE", "BFO": "BSE"}
"""Options exchange of an index → the exchange whose bhavcopy lists it."""
FILE_PATTERNS: dict[str, str] = {
    "NSE": "BhavCopy_NSE_FO_0_0_0_{day:%Y%m%d}_F_0000.csv.zip",
    "BSE": "BhavCopy_BSE_FO_0_0_0_{day:%Y%m%d}_F_0000.CSV",
}
"""Each exchange's file name of a day's F&O bhavcopy in its archive."""
_HEADERS = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) g6-pipeline", "Accept": "*/*"}
FetchStatus = Literal["downloaded", "present", "missing", "failed"]


@dataclass(frozen=True)
class FetchResult:
    """What happened to one (exchange, day): the file (when there is one) and, when none, why."""

    exchange: str
    day: date
    status: FetchStatus
    path: Path | None = None
    message: str = ""

    def line(self) -> str:
        """`NSE 2026-01-05 downloaded BhavCopy_...` / `NSE 2026-01-26 missing: no file (HTTP 404, a holiday?)`."""
        what = self.path.name if self.path is not None else self.message
        sep = " " if self.path is not None else ": "
        return f"{self.exchange} {self.day.isoformat()} {self.status}{sep}{what}"


def file_name(exchange: str, day: date) -> str:
    """The archive's file name of the exchange's bhavcopy of `day`."""
    try:
        return FILE_PATTERNS[exchange].format(day=day)
    except KeyError:
        raise ValueError(f"no bhavcopy archive known for exchange {exchange!r} (known: NSE, BSE)") from None


def weekdays(start: date, end: date) -> Iterator[date]:
    """Monday to Friday from `start` to `end`, inclusive (the days an archive may hold a file for)."""
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def _looks_like_bhavcopy(name: str, body: bytes) -> bool:
    """A zip archive for a `.zip` name, else CSV text starting with the UDiFF header."""
    if name.lower().endswith(".zip"):
        return body.startswith(b"PK")
    return body.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"TradDt")


def fetch_day(
    session: requests.Session, exchange: str, day: date, folder: Path, base_url: str, timeout: float = 30.0
) -> FetchResult:
    """Download one day's bhavcopy of one exchange into `folder` (see the module docstring)."""
    name = file_name(exchange, day)
    target = Path(folder) / name
    if target.exists() and target.stat().st_size > 0:
        return FetchResult(exchange, day, "present", target)
    url = base_url.rstrip("/") + "/" + name
    try:
        answer = session.get(url, timeout=timeout, headers=_HEADERS)
    except requests.RequestException as exc:
        return FetchResult(exchange, day, "failed", message=clean_text(f"{type(exc).__name__}: {exc}"))
    if answer.status_code == 404:
        return FetchResult(exchange, day, "missing", message="no file (HTTP 404: a holiday, or not published yet)")
    if answer.status_code != 200:
        return FetchResult(exchange, day, "failed", message=f"HTTP {answer.status_code} from {clean_text(url)}")
    body = answer.content
    if not _looks_like_bhavcopy(name, body):
        if body.lstrip()[:1] == b"<":
            return FetchResult(exchange, day, "missing", message="no file (the archive answered with a web page)")
        return FetchResult(exchange, day, "failed", message=f"the answer from {clean_text(url)} is not a bhavcopy")
    write_atomic(target, body)
    return FetchResult(exchange, day, "downloaded", target)


def fetch_days(
    days: Iterable[date],
    exchanges: Iterable[str],
    folder: Path,
    base_urls: Mapping[str, str] | None = None,
    *,
    session: requests.Session | None = None,
    pause: float = 1.0,
    timeout: float = 30.0,
    progress: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Download each day's bhavcopy of each exchange into `folder`; one `FetchResult` per (day, exchange).

    `base_urls`: exchange → archive folder URL (default `ARCHIVE_URLS`); `pause`: seconds between two
    requests to an archive (files already present cost none); `progress` is told of each result.
    """
    urls = {**ARCHIVE_URLS, **(base_urls or {})}
    own = session is None
    client = session or requests.Session()
    results: list[FetchResult] = []
    asked = False
    try:
        for day in days:
            for exchange in exchanges:
                if asked and pause > 0 and not (Path(folder) / file_name(exchange, day)).exists():
                    time.sleep(pause)
                result = fetch_day(client, exchange, day, Path(folder), urls[exchange], timeout)
                asked = asked or result.status != "present"
                results.append(result)
                if progress is not None:
                    progress(result)
    finally:
        if own:
            client.close()
    return results
