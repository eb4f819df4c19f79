"""The JSON endpoints of the chain screen: exactly what the page draws, from the stored Parquet.

`GET /api/chain`, `/api/smile`, `/api/oi`, `/api/intraday`, `/api/oi_day`, `/api/exposure`, `/api/term` with
the query parameters `index` (required: any underlying's name; one neither stored nor known is a 400 naming the
closest known ones), `expiry` (an expiry tag; default the nearest stored), `at` (HH:MM; default the latest
stored minute), `day` (YYYY-MM-DD; default the latest stored day); for `/api/chain`, `strikes` (N each side of
ATM); for `/api/oi`, `/api/chain` and `/api/oi_day`, `interval` (the OI change: `close`, the default but for
`/api/oi_day`, `open`, or minutes such as `1m`, `5m`, `15m`, `30m`, see `oi_views`); for `/api/oi_day`,
`strikes` (comma-separated strikes; default ATM ± 2). A bad parameter answers 400 and a day with nothing stored
404, both as `{"error": ..., "parameter": ...}`. `GET /api/underlyings?q=TEXT&limit=N` finds underlyings by
name or company for the page's search box (`underlying_search`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.core.underlyings import NAME_PATTERN, closest, kind_of
from g6_pipeline.live.chain_view import (
    ChainViewError,
    Selection,
    StoredDay,
    chain_view,
    intraday_view,
    load_day,
    parse_day,
    parse_minute,
    select,
    smile_view,
)
from g6_pipeline.live.dte_view import dte_master_view
from g6_pipeline.live.exposure_views import exposure_view, term_view
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.oi_views import (
    interval_of,
    oi_day_view,
    oi_interval_view,
    parse_strikes,
    with_oi_interval,
)
from g6_pipeline.live.underlying_search import SEARCH_LIMIT, search
from g6_pipeline.storage.location import DataLocation

PARAMETERS: dict[str, frozenset[str]] = {
    "/api/chain": frozenset({"index", "expiry", "at", "day", "strikes", "interval"}),
    "/api/smile": frozenset({"index", "expiry", "at", "day"}),
    "/api/oi": frozenset({"index", "expiry", "at", "day", "interval"}),
    "/api/intraday": frozenset({"index", "expiry", "day"}),
    "/api/oi_day": frozenset({"index", "expiry", "at", "day", "interval", "strikes"}),
    "/api/exposure": frozenset({"index", "expiry", "at", "day"}),
    "/api/term": frozenset({"index", "at", "day"}),
    "/api/underlyings": frozenset({"q", "limit"}),
}
"""Route → the query parameters it reads (`token` is the auth rule's and ignored here)."""

Answer = tuple[HTTPStatus, dict[str, Any]]


def _one(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name) or []
    if len(values) > 1:
        raise ChainViewError(name, f"{name} is given {len(values)} times")
    return values[0] if values else None


def _positive(name: str, text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit() or int(text) <= 0:
        raise ChainViewError(name, f"{name} must be a positive integer, got {text!r}")
    return int(text)


def _strikes(text: str | None) -> int | None:
    return _positive("strikes", text)


def _checked(path: str, query: Mapping[str, Sequence[str]]) -> dict[str, str | None]:
    unknown = sorted(set(query) - PARAMETERS[path] - {"token"})
    if unknown:
        raise ChainViewError(unknown[0], f"unknown parameter {unknown[0]!r} for {path}")
    params = {name: _one(query, name) for name in PARAMETERS[path]}
    index = (params.get("index") or "").strip().upper()
    if not index:
        raise ChainViewError("index", "index is required (an underlying's name, e.g. NIFTY or RELIANCE)")
    if not NAME_PATTERN.fullmatch(index):
        raise ChainViewError("index", f"{params['index']!r} is not an underlying's name")
    params["index"] = index
    expiry = params.get("expiry") or None
    if expiry is not None and expiry not in EXPIRY_TAGS:
        raise ChainViewError("expiry", f"unknown expiry tag {expiry!r} (one of {', '.join(EXPIRY_TAGS)})")
    params["expiry"] = expiry
    params.setdefault("strikes", None)
    params.setdefault("interval", None)
    return params


def _selection(stored: StoredDay, params: Mapping[str, str | None]) -> Selection:
    return select(stored, params["expiry"], parse_minute(params["at"]))


def _search(query: Mapping[str, Sequence[str]], location: DataLocation) -> dict[str, Any]:
    """`/api/underlyings`: the underlyings whose name or company holds `q`, best first (`underlying_search`)."""
    unknown = sorted(set(query) - PARAMETERS["/api/underlyings"] - {"token"})
    if unknown:
        raise ChainViewError(unknown[0], f"unknown parameter {unknown[0]!r} for /api/underlyings")
    limit = _positive("limit", _one(query, "limit"))
    return search(_one(query, "q") or "", location, min(limit or SEARCH_LIMIT, 200))


def _stored(index: str, day: str | None, location: DataLocation) -> StoredDay:
    """The stored day of `index`; a name that is neither stored nor a known underlying is a bad parameter that
    names the closest known ones."""
    try:
        return load_day(index, parse_day(day), location)
    except ChainViewError as exc:
        if exc.not_found and kind_of(index) is None:
            hint = ", ".join(closest(index))
            raise ChainViewError("index", f"unknown underlying {index!r}" + (f"; closest: {hint}" if hint else "")) from None
        raise


def _chain(stored: StoredDay, p: Mapping[str, str | None]) -> dict[str, Any]:
    sel = _selection(stored, p)
    return with_oi_interval(chain_view(sel, _strikes(p["strikes"])), sel, interval_of(p["interval"]))


def _oi_day(stored: StoredDay, p: Mapping[str, str | None]) -> dict[str, Any]:
    interval = interval_of(p["interval"] or "open")
    return oi_day_view(_selection(stored, p), interval, parse_strikes(p["strikes"]))


VIEWS: dict[str, Callable[[StoredDay, Mapping[str, str | None]], dict[str, Any]]] = {
    "/api/chain": _chain,
    "/api/smile": lambda stored, p: smile_view(_selection(stored, p)),
    "/api/oi": lambda stored, p: oi_interval_view(_selection(stored, p), interval_of(p["interval"])),
    "/api/intraday": lambda stored, p: intraday_view(stored, p["expiry"]),
    "/api/oi_day": _oi_day,
    "/api/exposure": lambda stored, p: exposure_view(_selection(stored, p)),
    "/api/term": lambda stored, p: term_view(select(stored, None, parse_minute(p["at"]))),
}


def answer(
    path: str, query: Mapping[str, Sequence[str]], location: DataLocation, numbers: NumberFormat | None = None,
    calendar: MarketCalendar | None = None,
) -> Answer:
    """(status, JSON body) of one chain-screen request; `/api/chain` also names the unit its OI and volume are
    shown in (`unit_words`, by `numbers`); `/api/intraday` carries the days-to-expiry master's bands of the day
    (`dte_master`, None without a `calendar` to count sessions by)."""
    try:
        if path == "/api/underlyings":
            return HTTPStatus.OK, _search(query, location)
        params = _checked(path, query)
        if path == "/api/chain":
            _strikes(params["strikes"])  # a bad parameter is a 400 even when the day is not stored
        if path == "/api/oi_day":
            parse_strikes(params["strikes"])
        interval_of(params["interval"])
        parse_minute(params.get("at"))
        stored = _stored(str(params["index"]), params["day"], location)
        body = VIEWS[path](stored, params)
        if path == "/api/chain":
            body["unit_words"] = (numbers or NumberFormat()).unit_words(body["lot_size"])
        if path == "/api/intraday":
            body["dte_master"] = dte_master_view(stored, body["expiry_tag"], calendar) if calendar else None
        return HTTPStatus.OK, body
    except ChainViewError as exc:
        status = HTTPStatus.NOT_FOUND if exc.not_found else HTTPStatus.BAD_REQUEST
        return status, {"error": str(exc), "parameter": exc.parameter}
