"""What the terminal summary shows, read from the status and panel files only, and how values are worded.

Files may be missing (nothing collected yet) or unusable (another program is writing them badly): the state
then says so, keeps the last good read when there was one, and never raises.
"""

from __future__ import annotations

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


def index_rows(state: ViewState, now: datetime, fmt: NumberFormat) -> list[dict[str, str]]:
    """One row of display strings per index, in collection order."""
    if state.status is None:
        return []
    indices = state.status["indices"]
    order = [n for n in state.status.get("index_order") or [] if n in indices] or list(indices)
    rows = []
    for name in order:
        entry = indices[name] if isinstance(indices[name], dict) else {}
        expected = entry.get("legs_expected")
        rows.append(
            {
                "index": str(name),
                "status": str(entry.get("status", DASH)),
                "ltp": fmt.number(entry.get("ltp")),
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


def analytics_rows(state: ViewState, fmt: NumberFormat) -> list[dict[str, Any]]:
    """One row per index from the analytics panel (near expiry), with its straddle history."""
    data = state.panel_data("analytics")
    rows = []
    for item in (data or {}).get("indices") or []:
        if not isinstance(item, dict):
            continue
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
