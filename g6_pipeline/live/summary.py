"""The terminal summary: a Rich live layout, a plain-text mode for logs and dumb terminals, a one-shot mode.

Everything shown comes from `runtime_status.json` and the panel files, so the summary runs in its own process
while the pipeline writes them. Its header says SIMULATED whenever the numbers come from a simulated market
(the configured provider or the last cycle's is `synthetic` or `mock`); numbers are grouped in the configured
style (`live.numbers`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from g6_pipeline.core.clock import IST
from g6_pipeline.live.jsonfile import LiveDir
from g6_pipeline.live.numbers import DASH, NumberFormat
from g6_pipeline.live.view_state import (
    Selection,
    ViewState,
    analytics_rows,
    fmt_bytes,
    freshness,
    index_rows,
    load_state,
    select_names,
    selection_line,
    simulated,
    sparkline,
)
from g6_pipeline.util.redact import clean_text, mask_secrets

_STATUS_STYLE = {"ok": "green", "degraded": "yellow", "failed": "bold red", "stale": "bold red", "closed": "cyan",
                 "skipped": "magenta"}
"""Index statuses: `degraded` is a chain with legs missing or unpriced, `failed` has no priced leg, `stale` quotes
that stopped advancing, `closed` an exchange whose quotes all carry an earlier session's time."""
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
SIMULATED_WORDS = "SIMULATED market data (not a real exchange feed)"


ALERTS_SHOWN = 8
"""Alerts listed at most (critical first); the rest are counted."""
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class SummaryStyle:
    """How the summary writes numbers, whether the configured provider is a simulated market, and which
    underlyings it shows (a page of them, sorted and filtered: one screen however many are collected)."""

    numbers: NumberFormat = field(default_factory=NumberFormat)
    simulated: bool = False
    selection: Selection = field(default_factory=Selection)


def _header_words(state: ViewState, now: datetime, stale_after: float, style: SummaryStyle) -> tuple[str, str]:
    kind, words = freshness(state, now, stale_after)
    status = state.status or {}
    provider = _mapping(status.get("provider"))
    parts = [f"G6 {now.astimezone(IST):%H:%M:%S} IST", words]
    if simulated(state, style.simulated):
        parts.insert(1, SIMULATED_WORDS)
    if status:
        parts += [
            f"cycle {status.get('cycle', DASH)}",
            f"provider {provider.get('name', DASH)} ({provider.get('health', DASH)})",
            f"token {provider.get('token_state', DASH)}",
            f"circuit {provider.get('circuit', DASH)}" + _last_error(provider),
        ]
    if state.problem and state.status is not None:
        parts.append(f"showing last good read: {state.problem}")
    return kind, "  ".join(parts)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _last_error(provider: dict[str, Any]) -> str:
    """` (last error HH:MM: text)` next to the circuit state when the provider reported one, else ''."""
    text = provider.get("last_error")
    if not isinstance(text, str) or not text:
        return ""
    when = provider.get("last_error_at")
    stamp = f" {when[11:16]}" if isinstance(when, str) and len(when) >= 16 else ""
    return f" (last error{stamp}: {mask_secrets(clean_text(text, 160))})"


def _alerts(state: ViewState) -> list[dict[str, Any]]:
    """Every alert, the most severe first (stable within a severity)."""
    alerts = [a for a in (state.status or {}).get("alerts") or [] if isinstance(a, dict)]
    return sorted(alerts, key=lambda a: _SEVERITY_RANK.get(str(a.get("severity")), 3))


def _more_alerts(alerts: list[dict[str, Any]]) -> str:
    """`… and 12 more alerts` when not all of them are listed, else ''."""
    rest = len(alerts) - ALERTS_SHOWN
    return f"… and {rest} more alerts" if rest > 0 else ""


def _health_words(state: ViewState, fmt: NumberFormat) -> str:
    status = state.status or {}
    provider = _mapping(status.get("provider"))
    return (
        f"success {fmt.percent(status.get('success_rate'), 0)}  "
        f"duration {fmt.number(status.get('duration_seconds'), 1)}s  "
        f"options {fmt.number(status.get('options_last_cycle'), 0)} last cycle, "
        f"{fmt.number(status.get('options_per_minute'), 0)}/min  "
        f"api {fmt.percent(provider.get('api_success_rate'), 0)} of {fmt.number(provider.get('calls'), 0)} calls  "
        f"latency {fmt.number(provider.get('latency_ms_avg'), 0)} ms"
    )


def _storage_lines(state: ViewState, fmt: NumberFormat) -> list[str]:
    data = state.panel_data("storage")
    if data is None:
        return ["no data yet"]
    lines = []
    for sink in data.get("sinks") or []:
        if not isinstance(sink, dict):
            continue
        if sink.get("ok"):
            lines.append(
                f"{sink.get('sink')}: ok, {fmt.number(sink.get('rows'), 0)} rows, {fmt_bytes(sink.get('bytes'))}, "
                f"{fmt.number(sink.get('seconds'), 2)}s"
            )
        else:
            lines.append(f"{sink.get('sink')}: FAILED ({sink.get('error')}), last ok {sink.get('last_ok_at') or 'never'}")
    return lines or ["no sinks reported"]


def render_plain(state: ViewState, now: datetime, stale_after: float, style: SummaryStyle | None = None) -> str:
    """The whole summary as plain text (no colour, no cursor movement)."""
    style = style or SummaryStyle()
    fmt = style.numbers
    _, header = _header_words(state, now, stale_after, style)
    lines = [header]
    if state.status is None:
        return "\n".join(lines) + "\n"
    names, _, _ = select_names(state, style.selection)
    lines.append("")
    lines.append(selection_line(state, style.selection))
    lines.append(
        f"{'INDEX':<10} {'STATUS':<8} {'LTP':>11} {'CHANGE':>8} {'AGE':>7} {'LEGS':>7} {'PCR':>6} {'ATM IV':>7} "
        f"{'MAX PAIN':>9}"
    )
    for r in index_rows(state, now, fmt, names):
        lines.append(
            f"{r['index']:<10} {r['status']:<8} {r['ltp']:>11} {r['change']:>8} {r['age']:>7} {r['legs']:>7} "
            f"{r['pcr']:>6} {r['atm_iv']:>7} {r['max_pain']:>9}" + (f"  {r['error']}" if r["error"] else "")
        )
    rows = analytics_rows(state, fmt, names)
    lines += ["", "ANALYTICS (near expiry)"]
    if not rows:
        lines.append("  no data yet")
    for a in rows:
        lines.append(
            f"  {a['index']:<10} {a['tag']:<10} PCR {a['pcr']:>5}  IV {a['atm_iv']:>6}  "
            f"max pain {a['max_pain']:>8} ({a['distance']})  straddle {a['straddle']} ({a['straddle_change']})  "
            f"IVR/IVP {a['iv_rank']}  GEX ₹{a['gex']} cr/1%"
        )
    alerts = _alerts(state)
    lines += ["", f"ALERTS ({len(alerts)})"]
    lines += [f"  [{a.get('severity')}] {a.get('message')}" for a in alerts[:ALERTS_SHOWN]] or ["  none"]
    lines += [f"  {_more_alerts(alerts)}"] if _more_alerts(alerts) else []
    lines += ["", "STORAGE"] + [f"  {s}" for s in _storage_lines(state, fmt)]
    lines += ["", "HEALTH", f"  {_health_words(state, fmt)}"]
    return "\n".join(lines) + "\n"


def render_rich(
    state: ViewState, now: datetime, stale_after: float, style: SummaryStyle | None = None
) -> RenderableType:
    """The summary as a Rich layout: header, indices, analytics, alerts, storage and health."""
    style = style or SummaryStyle()
    fmt = style.numbers
    kind, header = _header_words(state, now, stale_after, style)
    header_style = {"live": "bold green", "stale": "bold yellow", "none": "bold red"}[kind]
    title = Text(header, style=header_style)
    title.highlight_words([SIMULATED_WORDS], style="bold black on magenta")
    parts: list[RenderableType] = [title]
    if state.status is None:
        return Group(*parts)

    names, _, _ = select_names(state, style.selection)
    indices = Table(title="Underlyings", caption=selection_line(state, style.selection), expand=True)
    for col, justify in (("Index", "left"), ("Status", "left"), ("LTP", "right"), ("Change", "right"),
                         ("Age", "right"), ("Legs", "right"), ("PCR", "right"), ("ATM IV", "right"),
                         ("Max pain", "right"), ("Note", "left")):
        indices.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in index_rows(state, now, fmt, names):
        indices.add_row(r["index"], Text(r["status"], style=_STATUS_STYLE.get(r["status"], "")), r["ltp"],
                        r["change"], r["age"], r["legs"], r["pcr"], r["atm_iv"], r["max_pain"],
                        Text(r["error"], overflow="ellipsis", no_wrap=True))
    parts.append(indices)

    analytics = Table(title="Analytics (near expiry)", expand=True)
    for col in ("Index", "Expiry", "PCR", "ATM IV", "IVR/IVP", "Max pain", "Dist", "Straddle", "Δ day",
                "GEX ₹cr/1%", "Straddle 60m"):
        analytics.add_column(col, justify="left" if col in ("Index", "Expiry", "IVR/IVP", "Straddle 60m") else "right")
    for a in analytics_rows(state, fmt, names):
        analytics.add_row(a["index"], a["tag"], a["pcr"], a["atm_iv"], a["iv_rank"], a["max_pain"], a["distance"],
                          a["straddle"], a["straddle_change"], a["gex"], sparkline(a["history"]))
    parts.append(analytics)

    alerts = _alerts(state)
    alert_text = Text()
    for a in alerts[:ALERTS_SHOWN]:
        alert_text.append(f"[{a.get('severity')}] ", style=_SEVERITY_STYLE.get(str(a.get("severity")), ""))
        alert_text.append(f"{a.get('message')}\n")
    if _more_alerts(alerts):
        alert_text.append(_more_alerts(alerts), style="dim")
    parts.append(Panel(alert_text if alerts else Text("none", style="green"), title=f"Alerts ({len(alerts)})"))
    parts.append(Panel(Text("\n".join(_storage_lines(state, fmt))), title="Storage"))
    parts.append(Panel(Text(_health_words(state, fmt)), title="Health"))
    return Group(*parts)


def run_summary(
    where: LiveDir,
    stale_after: float,
    refresh: float = 1.0,
    rich: bool = True,
    once: bool = False,
    out: TextIO | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(IST),
    max_updates: int | None = None,
    style: SummaryStyle | None = None,
) -> int:
    """Show the summary. `once`: print one render and return 0 when live, 1 when stale or without data.

    Otherwise refresh every `refresh` seconds until interrupted (or `max_updates` renders); the plain mode
    prints a new block only when the status changed.
    """
    style = style or SummaryStyle()
    console = Console(file=out, highlight=False) if out is not None else Console(highlight=False)
    state = load_state(where)
    if once:
        if rich and console.is_terminal:
            console.print(render_rich(state, clock(), stale_after, style))
        else:
            console.file.write(render_plain(state, clock(), stale_after, style))
            console.file.flush()
        return 0 if freshness(state, clock(), stale_after)[0] == "live" else 1

    updates = 0
    if rich:
        with Live(render_rich(state, clock(), stale_after, style), console=console, auto_refresh=False) as live:
            while max_updates is None or updates < max_updates:
                time.sleep(refresh)
                state = load_state(where, state)
                live.update(render_rich(state, clock(), stale_after, style), refresh=True)
                updates += 1
        return 0

    last_key: tuple[Any, ...] | None = None
    while max_updates is None or updates < max_updates:
        now = clock()
        key = (state.generated_at, freshness(state, now, stale_after)[1].split(",")[0], state.problem)
        if key != last_key:
            console.file.write(render_plain(state, now, stale_after, style) + "\n")
            console.file.flush()
            last_key = key
        updates += 1
        time.sleep(refresh)
        state = load_state(where, state)
    return 0
