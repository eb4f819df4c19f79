"""What the terminal summary shows, read from the status and panel files only, and how values are worded.

Files may be missing (nothing collected yet) or unusable (another program is writing them badly): the state
then says so, keeps the last good read when there was one, and never raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.live.jsonfile import LiveDir, live_location, local_path, parse_time, read_json_object
from g6_pipeline.live.numbers import DASH, NumberFormat
from g6_pipeline.live.panels import read_panels
from g6_pipeline.live.status import STATUS_FILE, status_path


@dataclass(frozen=True)
class ViewState:
    """The status document and panels as last read, plus why anything could not be read."""

    data_dir: Path
    status: dict[str, Any] | None
    panels: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str | None = None
    """Why the status file could not be read this time (None when it was read)."""

    def panel_data(self, name: str) -> dict[str, Any] | None:
        """A panel's data, None when that panel is missing or failed its hash check."""
        doc = self.panels.get(name)
        data = doc.get("data") if doc else None
        return data if isinstance(data, dict) else None

    @property
    def generated_at(self) -> datetime | None:
        """When the status was written."""
        return parse_time(self.status.get("generated_at")) if self.status else None


def load_state(where: LiveDir, previous: ViewState | None = None) -> ViewState:
    """Read the status and panels; on a bad status file keep `previous`'s status and note the problem."""
    location = live_location(where)
    folder = local_path(location.root)
    result = read_json_object(status_path(location))
    panels = read_panels(location)
    status = result.document
    problem: str | None
    if status is not None and not isinstance(status.get("indices"), dict):
        status, problem = None, f"{STATUS_FILE} has no 'indices' object"
    else:
        problem = result.problem
    if status is None and previous is not None and previous.status is not None:
        kept = {**previous.panels, **panels}
        return ViewState(folder, previous.status, kept, problem)
    return ViewState(folder, status, panels, problem)


def simulated(state: ViewState, configured: bool = False) -> bool:
    """Whether the numbers shown are a simulated market's: the configured provider is one (`configured`) or
    the last cycle's provider was."""
    provider = (state.status or {}).get("provider")
    if not isinstance(provider, dict):
        return configured
    return configured or provider.get("simulated") is True or provider.get("name") in SIMULATED_SOURCES


def freshness(state: ViewState, now: datetime, stale_after_seconds: float) -> tuple[str, str]:
    """('live' | 'stale' | 'none', words): 'no data yet', 'stale since HH:MM' or 'live, updated HH:MM:SS'."""
    generated = state.generated_at
    if state.status is None or generated is None:
        reason = f" ({state.problem})" if state.problem else ""
        return "none", f"no data yet{reason}"
    local = generated.astimezone(IST)
    if (now - generated).total_seconds() > stale_after_seconds:
        return "stale", f"stale since {local:%H:%M}"
    return "live", f"live, updated {local:%H:%M:%S}"


def fmt_age(since: Any, now: datetime) -> str:
    """How long ago an ISO time was: 42s, 3m05s, 2h10m; a dash when unknown."""
    moment = parse_time(since)
    if moment is None:
        return DASH
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def fmt_bytes(count: Any) -> str:
    """A byte count in B, KiB, MiB or GiB."""
    if not isinstance(count, int | float):
        return DASH
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


SORTS: tuple[str, ...] = ("status", "priority", "name", "pcr", "iv", "change")
"""How the summary orders the underlyings: problems first (the default), collection priority, name, or a figure
(highest first)."""
STATUS_RANK = {"failed": 0, "skipped": 1, "stale": 2, "degraded": 3, "closed": 4, "ok": 5}
"""Problems first: the order of `status` sorting."""


@dataclass(frozen=True)
class Selection:
    """Which underlyings a view shows: sorted, filtered by name or status, one page at a time."""

    sort: str = "status"
    match: str = ""
    """Case-insensitive: a name or status containing it (empty: all)."""
    page: int = 1
    per_page: int = 20


def _figure(entry: dict[str, Any], sort: str) -> float:
    """The sort key of a figure: highest first, missing last."""
    value = entry.get({"pcr": "pcr", "iv": "atm_iv", "change": "day_change_pct"}[sort])
    return -float(value) if isinstance(value, int | float) and math.isfinite(value) else math.inf


def select_names(state: ViewState, selection: Selection) -> tuple[list[str], int, int]:
    """(the names on the selection's page, how many match, the page shown — the last when asked beyond it)."""
    if state.status is None:
        return [], 0, 1
    indices = state.status["indices"]
    order = [n for n in state.status.get("index_order") or [] if n in indices] or list(indices)
    entries = {n: indices[n] if isinstance(indices[n], dict) else {} for n in order}
    needle = selection.match.strip().lower()
    names = [n for n in order if not needle or needle in str(n).lower() or needle == str(entries[n].get("status"))]
    position = {n: i for i, n in enumerate(order)}
    if selection.sort == "status":
        names.sort(key=lambda n: (STATUS_RANK.get(str(entries[n].get("status")), 6), position[n]))
    elif selection.sort == "name":
        names.sort()
    elif selection.sort in ("pcr", "iv", "change"):
        names.sort(key=lambda n: (_figure(entries[n], selection.sort), position[n]))
    pages = max(-(-len(names) // selection.per_page), 1)
    page = min(max(selection.page, 1), pages)
    start = (page - 1) * selection.per_page
    return names[start : start + selection.per_page], len(names), page


def selection_line(state: ViewState, selection: Selection) -> str:
    """`underlyings 1-20 of 214 (sorted by status, problems first) · page 1 of 11: --page, --match, --sort`."""
    names, matched, page = select_names(state, selection)
    total = len((state.status or {}).get("indices") or {})
    if not names:
        return f"no underlying matches {selection.match!r} (of {total})" if selection.match else "no underlyings"
    start = (page - 1) * selection.per_page + 1
    pages = max(-(-matched // selection.per_page), 1)
    words = {"status": "status, problems first", "priority": "collection priority", "name": "name",
             "pcr": "PCR, highest first", "iv": "ATM IV, highest first", "change": "day change, highest first"}
    where = f" matching {selection.match!r}" if selection.match else ""
    line = f"underlyings {start}-{start + len(names) - 1} of {matched}{where} (sorted by {words[selection.sort]})"
    if pages > 1 or matched < total:
        line += f" · page {page} of {pages}; {total} in all"
    return line


def index_rows(state: ViewState, now: datetime, fmt: NumberFormat, names: list[str] | None = None) -> list[dict[str, str]]:
    """One row of display strings per underlying: `names` in their order, else all in collection order."""
    if state.status is None:
        return []
    indices = state.status["indices"]
    order = [n for n in state.status.get("index_order") or [] if n in indices] or list(indices)
    if names is not None:
        order = [n for n in names if n in indices]
    rows = []
    for name in order:
        entry = indices[name] if isinstance(indices[name], dict) else {}
        expected = entry.get("legs_expected")
        rows.append(
            {
                "index": str(name),
                "status": str(entry.get("status", DASH)),
                "ltp": fmt.number(entry.get("ltp")),
                "change": fmt.number(entry.get("day_change_pct"), 2, signed=True) + "%"
                if isinstance(entry.get("day_change_pct"), int | float) else DASH,
                "age": fmt_age(entry.get("last_good_at"), now),
                "legs": f"{entry.get('legs_collected', DASH)}/{expected if expected is not None else DASH}",
                "missing": str(entry.get("legs_missing", DASH)),
                "pcr": fmt.number(entry.get("pcr")),
                "atm_iv": fmt.percent(entry.get("atm_iv")),
                "max_pain": fmt.number(entry.get("max_pain"), 0),
                "error": str(entry.get("error") or ""),
            }
        )
    return rows


def analytics_rows(state: ViewState, fmt: NumberFormat, names: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per underlying from the analytics panel (near expiry), with its straddle history: `names` in their
    order, else all in the panel's."""
    data = state.panel_data("analytics")
    items = [item for item in (data or {}).get("indices") or [] if isinstance(item, dict)]
    if names is not None:
        by_name = {str(item.get("index")): item for item in items}
        items = [by_name[n] for n in names if n in by_name]
    rows = []
    for item in items:
        near = next((e for e in item.get("expiries") or [] if isinstance(e, dict)), {})
        history = [p.get("straddle") for p in item.get("history") or [] if isinstance(p, dict)]
        rows.append(
            {
                "index": str(item.get("index", DASH)),
                "tag": str(near.get("tag") or DASH),
                "ltp": fmt.number(item.get("index_price")),
                "pcr": fmt.number(near.get("pcr")),
                "atm_iv": fmt.percent(near.get("atm_iv")),
                "max_pain": fmt.number(near.get("max_pain"), 0),
                "distance": fmt.number(near.get("max_pain_distance"), 0, signed=True),
                "straddle": fmt.number(near.get("straddle")),
                "straddle_change": fmt.number(near.get("straddle_day_change"), signed=True),
                "iv_rank": fmt.iv_rank(near.get("iv_rank"), near.get("iv_percentile"), near.get("iv_history_source"),
                                       near.get("iv_history")),
                "gex": fmt.crore(near.get("gex")),
                "history": [v if isinstance(v, int | float) else None for v in history],
            }
        )
    return rows


def sparkline(values: list[float | None], width: int = 20) -> str:
    """A text sparkline of the last `width` values; gaps (None) are blanks."""
    bars = "▁▂▃▄▅▆▇█"
    tail = values[-width:]
    known = [v for v in tail if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in tail:
        if v is None:
            out.append(" ")
        else:
            out.append(bars[int((v - low) / span * (len(bars) - 1)) if span else len(bars) // 2])
    return "".join(out)
