"""Find an underlying among two hundred: what `/api/underlyings?q=` answers the chain screen's search box.

Candidates are every underlying G6 knows (the index table and the F&O list, with the company names) and every
one stored on the latest stored day (a stock collected from its own entry, outside the list). A query matches
a name exactly, at its start, inside it, or inside the company's name, best first; within a rank, stored
underlyings come first (their chains can be shown), then by name.
"""

from __future__ import annotations

from typing import Any

from g6_pipeline.core.underlyings import INDEX_UNDERLYINGS, fo_stocks
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS

SEARCH_LIMIT = 20
"""Matches answered at most (the total is given too)."""


def stored_names(location: DataLocation) -> set[str]:
    """The underlyings stored on the latest stored day (none when nothing is stored)."""
    days = location.table_days(OPTIONS)
    return set(location.table_indices(OPTIONS, days[-1])) if days else set()


def _rank(query: str, name: str, company: str) -> int | None:
    """0 exact, 1 the name starts with it, 2 the name holds it, 3 the company's name holds it; None: no match."""
    if not query:
        return 2
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if query in name:
        return 2
    return 3 if query in company.upper() else None


def search(query: str, location: DataLocation, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """The underlyings matching `query` (any case; empty: all), best first, at most `limit` of them."""
    stored = stored_names(location)
    companies = {name: "" for name in INDEX_UNDERLYINGS}
    companies.update({symbol: stock.name for symbol, stock in fo_stocks().items()})
    companies.update({name: "" for name in stored if name not in companies})
    wanted = query.strip().upper()
    found = []
    for name, company in companies.items():
        rank = _rank(wanted, name, company)
        if rank is not None:
            found.append((rank, name not in stored, name))
    found.sort()
    return {
        "query": query,
        "total": len(found),
        "underlyings": [
            {"name": name, "kind": "index" if name in INDEX_UNDERLYINGS else "stock", "company": companies[name],
             "stored": not unstored}
            for _, unstored, name in found[:limit]
        ],
    }
