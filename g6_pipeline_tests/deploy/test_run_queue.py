"""Under the production profile two minute runs requested together never run at once, and backfills cannot
take the collection's slot. Real processes: PostgreSQL, a gRPC code server, one dagster-daemon, run workers."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._cli.job import execute_launch_command
from dagster._cli.workspace.cli_target import WorkspaceOpts

from g6_pipeline_tests.deploy.queue_jobs import MINUTE_STARTED
from g6_pipeline_tests.deploy.services import code_server, daemon, grpc_workspace

JOBS_FILE = Path(__file__).with_name("queue_jobs.py")
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def _launch(instance: DagsterInstance, workspace: Path, job: str, tags: dict[str, str]) -> str:
    run = execute_launch_command(
        instance=instance,
        workspace_opts=WorkspaceOpts(workspace=(str(workspace),)),
        job_name=job,
        tags=json.dumps(tags),
    )
    return run.run_id


def _windows(instance: DagsterInstance, run_ids: list[str], timeout: float) -> dict[str, tuple[float, float]]:
    deadline = time.monotonic() + timeout
    while True:
        records = instance.get_run_records(filters=RunsFilter(run_ids=run_ids))
        if len(records) == len(run_ids) and all(r.dagster_run.status in FINISHED for r in records):
            break
        if time.monotonic() > deadline:
            states = {r.dagster_run.run_id[:8]: r.dagster_run.status.value for r in records}
            raise AssertionError(f"runs did not finish within {timeout}s: {states}")
        time.sleep(0.5)
    windows = {}
    for record in records:
        assert record.dagster_run.status == DagsterRunStatus.SUCCESS, record.dagster_run.run_id
        assert record.start_time is not None and record.end_time is not None
        windows[record.dagster_run.run_id] = (record.start_time, record.end_time)
    return windows


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@pytest.mark.slow
def test_minute_runs_never_overlap_and_backfills_leave_collection_a_slot(
    production_instance: DagsterInstance, production_home: Path, tmp_path: Path
) -> None:
    env = {**os.environ, MINUTE_STARTED: str(tmp_path / "minute-started")}
    with code_server(["-f", str(JOBS_FILE)], env, tmp_path / "code_server.log") as port:
        workspace = grpc_workspace(tmp_path / "workspace.yaml", port)
        # everything is queued before the daemon starts, so all of it is "requested together"
        backfill = [
            _launch(production_instance, workspace, "history_chunk", {"dagster/backfill": "g6test"})
            for _ in range(2)
        ]
        minute = [_launch(production_instance, workspace, "minute_collection", {}) for _ in range(2)]
        queued = production_instance.get_run_records(filters=RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
        assert len(queued) == 4
        with daemon(workspace, env, tmp_path / "daemon.log"):
            windows = _windows(production_instance, backfill + minute, timeout=240)

    assert not _overlap(windows[minute[0]], windows[minute[1]]), "two minute runs ran at the same time"
    assert not _overlap(windows[backfill[0]], windows[backfill[1]]), "two backfill runs ran at the same time"
    # queued behind both backfill runs, the first minute run still started while the first backfill ran
    assert _overlap(windows[minute[0]], windows[backfill[0]]), "collection waited for the backfill"
