"""End to end: the real dagster-webserver and dagster-daemon on 127.0.0.1 against a temporary DAGSTER_HOME.

The sensor (running by default) produces collection runs with the synthetic provider; `g6 backfill`, run while
the webserver has the definitions loaded, makes days that show in the UI's partitions at once, sealed with
their checks passed; a weekday-master backfill launched through the GraphQL API runs as one run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests

from g6_pipeline_tests.defs.test_weekday_master_asset import small_config
from g6_pipeline_tests.deploy.services import daemon, webserver

REPO = Path(__file__).parents[2]
BACKFILL_DAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey invalidOutputName }
  }
}
"""
BACKFILL_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status runs(limit: 10) { runId status tags { key value } } }
    ... on PythonError { message }
  }
}
"""
PARTITIONS = """
query Partitions($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  ... on AssetNode { partitionKeysByDimension { name partitionKeys }
                     partitionStats { numMaterialized numPartitions } } } }
"""
RUNS = """
query Runs { runsOrError(filter: {tags: [{key: "g6/run_kind", value: "collection"}]}) {
  ... on Runs { results { runId status tags { key value } } } } }
"""


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def wait_for(what: str, probe: Callable[[], Any], timeout: float, logs: list[Path]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(1.0)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")


@pytest.mark.slow
def test_sensor_runs_and_weekday_master_backfill_through_graphql(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    g6, data = small_config(tmp_path)  # NIFTY alone
    config = Path(g6.config_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "KITE_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), G6_CONFIG_DIR=str(config), PYTHONPATH=str(REPO))
    workspace = REPO / "workspace.yaml"
    logs = [tmp_path / "daemon.log", tmp_path / "webserver.log"]

    with dg.DagsterInstance.from_config(str(home)):
        pass  # create the SQLite storage once, so the daemon and the webserver do not race to create it
    with daemon(workspace, env, logs[0]), webserver(workspace, env, logs[1]) as url:
        def collection_runs() -> list[dict[str, Any]]:
            results = graphql(url, RUNS)["runsOrError"]["results"]
            return [r for r in results if r["status"] == "SUCCESS"]

        done = wait_for("a successful collection run from the minute sensor", collection_runs, 150, logs)
        minute_tags = {t["value"] for r in done for t in r["tags"] if t["key"] == "g6/minute"}
        assert minute_tags, "collection runs carry their minute"
        assert list((data / "parquet" / "options").glob("date=*/NIFTY/[0-9][0-9][0-9][0-9].parquet"))
        assert (data / "runtime_status.json").exists()

        def partitions(asset: str) -> dict[str, Any]:
            return graphql(url, PARTITIONS, {"key": {"path": [asset]}})["assetNodeOrError"]

        before = partitions("option_chain_daily")["partitionKeysByDimension"][0]["partitionKeys"]
        assert not set(BACKFILL_DAYS) & set(before)
        backfill = subprocess.run(
            [str(Path(sys.executable).parent / "g6"), "backfill", "--start", BACKFILL_DAYS[0],
             "--end", BACKFILL_DAYS[-1]], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert backfill.returncode == 0, backfill.stderr
        after = partitions("option_chain_daily")  # the same loaded definitions: no reload
        dates = next(d["partitionKeys"] for d in after["partitionKeysByDimension"] if d["name"] == "date")
        assert set(BACKFILL_DAYS) <= set(dates)
        assert after["partitionStats"]["numMaterialized"] >= len(BACKFILL_DAYS)
        checks = ("completeness", "no_duplicates", "iv_coverage", "static_arbitrage")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            history = {name: instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey("option_chain_daily"), name), limit=100) for name in checks}
        checked = {(name, r.partition): r.status.value
                   for name, records in history.items() for r in records}
        for day in BACKFILL_DAYS:  # every check of every backfilled day reported, as for a day sealed by a run
            for name in checks:
                assert checked.get((name, f"{day}|NIFTY")) == "SUCCEEDED", (name, day, checked)

        params = {"assetSelection": [{"path": ["weekday_master"]}],
                  "partitionNames": [f"{day}|NIFTY" for day in BACKFILL_DAYS]}
        launched = graphql(url, LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        def finished() -> dict[str, Any] | None:
            status = graphql(url, BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
            return status if status["status"] in {"COMPLETED", "COMPLETED_SUCCESS", "FAILED",
                                                  "COMPLETED_FAILED", "CANCELED"} else None

        status = wait_for("the weekday-master backfill", finished, 300, logs)
        assert status["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, status
        assert len(status["runs"]) == 1, "a single-run backfill"
        assert status["runs"][0]["status"] == "SUCCESS"

    for weekday in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"):
        files = list((data / "weekday_master" / "NIFTY").glob(f"*/*/{weekday}.csv"))
        assert files, f"no NIFTY weekday master for {weekday}"
    monday = (data / "weekday_master" / "NIFTY" / "this_week" / "0" / "MONDAY.csv").read_text().splitlines()
    assert monday[0].startswith("timestamp,tp_mean,tp_ema,avg_tp_mean,avg_tp_ema")
    assert len(monday) - 1 == 375  # one row per session minute
