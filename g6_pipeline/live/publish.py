"""What the collection cycle calls once per cycle: write the runtime status, then the panels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport
from g6_pipeline.live.jsonfile import LiveDir, live_location
from g6_pipeline.live.panel_data import build_panel_data
from g6_pipeline.live.panels import PANEL_NAMES, read_panel, write_panels
from g6_pipeline.live.status import Origin, write_status
from g6_pipeline.settings.model import Settings


def publish(
    report: CycleReport, settings: Settings, where: LiveDir, now: datetime | None = None,
    origin: Origin = "pipeline",
) -> dict[str, Any]:
    """Write `runtime_status.json` (as written by `origin`) and every panel (with the manifest) for one cycle into
    the data location the process opened; return the status.

    Each file is replaced atomically, so the summary and the dashboard, running in other processes, always read
    whole files.
    """
    folder = live_location(where)
    moment = now or datetime.now(IST)
    status = write_status(report, settings, folder, now=moment, origin=origin)
    previous = {}
    for name in PANEL_NAMES:
        doc = read_panel(folder, name)
        if doc is not None and isinstance(doc.get("data"), dict):
            previous[name] = doc["data"]
    data = build_panel_data(report, settings, status, previous)
    write_panels(folder, data, version=int(status["cycle"]), generated_at=moment, secrets=settings.secret_values())
    return status
