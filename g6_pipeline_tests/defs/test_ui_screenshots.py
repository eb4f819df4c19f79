"""The Dagster UI as a user sees it, in headless Chromium against a real dagster-webserver: the asset graph with
the minute asset, a daily asset's plotted metadata, and a minute run's event log with G6's own lines.

Screenshots are saved under `test-artifacts/`.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline_tests.defs.test_weekday_master_asset import small_config
from g6_pipeline_tests.deploy.services import webserver
from g6_pipeline_tests.fakes.browser import ARTIFACTS
from g6_pipeline_tests.fakes.daily import materialize_day

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
DAYS = ["2026-11-18", "2026-11-19", "2026-11-20"]




def populate(home: Path, g6: G6Resource) -> str:
    """Three minute runs and three sealed days in the instance at `home`; the last minute run's id."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = ""
        for k in range(3):
            result = collection_job.execute_in_process(
                run_config=minute_run_config(MINUTE + timedelta(minutes=k)),
                instance=instance, resources=shared_resources(g6),
            )
            assert result.success
            run_id = result.run_id
        for day in DAYS:
            assert materialize_day(instance, Path(g6.config_dir), date.fromisoformat(day), "NIFTY").success
    return run_id


def shoot(page: Any, url: str | None, name: str, *texts: str) -> str:
    """Open `url` (None: stay), wait until every one of `texts` is shown, save a full-page screenshot; return the
    page's text."""
    if url is not None:
        page.goto(url)
    try:
        for text in texts:
            page.get_by_text(text).first.wait_for(timeout=60_000)
        page.wait_for_timeout(3_000)  # let the graph layout and plots settle before the picture
    finally:
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    return str(page.inner_text("body"))


def test_asset_graph_plots_and_run_logs_in_chromium(tmp_path: Path, browser: Any) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    g6, _ = small_config(tmp_path)
    config = Path(g6.config_dir)
    run_id = populate(home, g6)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "KITE_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), G6_CONFIG_DIR=str(config), PYTHONPATH=str(REPO))
    ARTIFACTS.mkdir(exist_ok=True)
    with webserver(REPO / "workspace.yaml", env, tmp_path / "webserver.log") as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/runs")
        skip = page.get_by_role("button", name="Skip")  # the first visit's newsletter dialog
        skip.wait_for(timeout=60_000)
        skip.click()
        graph = shoot(page, f"{url}/assets/option_chain_daily?view=lineage", "dagster-asset-graph.png",
                      "option_chain_minutes", "4 / 4 Passed")
        assert all(name in graph for name in ("option_chain_daily", "weekday_master", "4 / 4 Passed"))
        sealed = shoot(page, f"{url}/assets/option_chain_minutes?view=lineage", "dagster-asset-graph-minutes.png",
                       "overview_daily")
        assert all(name in sealed for name in ("option_chain_daily", "overview_daily"))
        page.set_viewport_size({"width": 1600, "height": 2400})
        page.goto(f"{url}/assets/option_chain_daily?view=overview")
        page.get_by_role("button", name="Plots").first.click(timeout=60_000)
        page.get_by_role("button", name="Partitions").first.click(timeout=60_000)
        plots = shoot(page, None, "dagster-asset-plots.png", "close_straddle")
        assert "close_pcr" in plots and "close_atm_iv" in plots and "close_max_pain" in plots
        page.set_viewport_size({"width": 1600, "height": 1000})
        logs = shoot(page, f"{url}/runs/{run_id}", "dagster-run-event-log.png", "indices collected")
        assert "minute 10:17: 1 of 1 indices collected (NIFTY)" in logs
    for name in ("dagster-asset-graph.png", "dagster-asset-graph-minutes.png", "dagster-asset-plots.png",
                 "dagster-run-event-log.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
