"""The production profile: `deploy/dagster.yaml` gives a working Dagster instance on a real PostgreSQL server."""

from __future__ import annotations

import os

import dagster as dg
import psycopg2
import pytest
from dagster import DagsterInstance
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from g6_pipeline_tests.fakes.postgres import PostgresServer

pytestmark = pytest.mark.slow  # every test here starts a PostgreSQL server


@dg.asset
def spot_reading() -> float:
    """A trivial asset standing in for a collected value."""
    return 22_450.5


def test_instance_uses_postgres_and_the_queue(production_instance: DagsterInstance) -> None:
    assert isinstance(production_instance.run_storage, PostgresRunStorage)
    assert isinstance(production_instance.event_log_storage, PostgresEventLogStorage)
    coordinator = production_instance.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    limits = {
        (lim["key"], lim.get("value")): lim["limit"]
        for lim in coordinator.get_run_queue_config().tag_concurrency_limits
    }
    assert limits[("g6/run_kind", "collection")] == 1
    assert limits[("dagster/backfill", None)] == 1
    assert production_instance.run_monitoring_enabled
    assert production_instance.run_retries_enabled
    assert production_instance.run_retries_max_retries >= 1


def test_materialization_round_trips_through_postgres(
    production_instance: DagsterInstance, postgres_server: PostgresServer
) -> None:
    result = dg.materialize([spot_reading], instance=production_instance)
    assert result.success

    record = production_instance.get_latest_materialization_event(dg.AssetKey("spot_reading"))
    assert record is not None and record.run_id == result.run_id
    stored = production_instance.get_run_by_id(result.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS

    # the rows really are in the PostgreSQL database named by the environment, not in a local file
    database = os.environ["DAGSTER_PG_DB"]
    with psycopg2.connect(postgres_server.dsn(database)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,))
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", (result.run_id,))
        row = cur.fetchone()
        assert row is not None and row[0] > 0
