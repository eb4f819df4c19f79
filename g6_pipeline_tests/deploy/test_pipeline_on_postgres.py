"""The pipeline's collection job and weekday master, run by Dagster against the PostgreSQL-backed production
instance: the data lands on disk and the runs and their events are rows in PostgreSQL."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_weekday_master
from g6_pipeline_tests.cli.diagnose_setup import config_folder
from g6_pipeline_tests.deploy.services import code_server, daemon, grpc_workspace
from g6_pipeline_tests.fakes.postgres import PostgresServer

pytestmark = pytest.mark.slow  # every test here starts a PostgreSQL server

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
DAYS = ["2026-11-16", "2026-11-17"]


@pytest.fixture
def nifty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(config dir, data dir): the synthetic provider, NIFTY only, exported as G6_CONFIG_DIR."""
    data = tmp_path / "data"
    config = config_folder(tmp_path, {"data_dir": str(data)})
    indices = json.loads((config / "indices_config.json").read_text())
    for name, section in indices.items():
        section["enabled"] = name == "NIFTY"
    (config / "indices_config.json").write_text(json.dumps(indices))
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    for var in ("G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL"):
        monkeypatch.delenv(var, raising=False)
    return config, data


def rows(server: PostgresServer, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg2.connect(server.dsn(os.environ["DAGSTER_PG_DB"])) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def test_collection_job_on_postgres(
    production_instance: dg.DagsterInstance, postgres_server: PostgresServer, nifty_config: tuple[Path, Path]
) -> None:
    from g6_pipeline.defs.collection.job import collection_job, minute_run_config
    from g6_pipeline.defs.resources import G6Resource, shared_resources

    config, data = nifty_config
    result = collection_job.execute_in_process(
        run_config=minute_run_config(MINUTE.isoformat()),
        instance=production_instance,
        resources=shared_resources(G6Resource(config_dir=str(config))),
    )
    assert result.success

    chain = load_chain(MINUTE.date(), "NIFTY", data_dir=str(data))
    assert len(chain) > 0 and set(chain["timestamp"]) == {MINUTE}
    assert rows(postgres_server, "SELECT status FROM runs WHERE run_id = %s", result.run_id) == [("SUCCESS",)]
    steps = rows(
        postgres_server,
        "SELECT step_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'STEP_SUCCESS'",
        result.run_id,
    )
    assert {s for (s,) in steps} == {"collect_minute", "publish_cycle"}
    tags = rows(postgres_server, "SELECT key, value FROM run_tags WHERE run_id = %s", result.run_id)
    assert ("g6/run_kind", "collection") in tags


def test_weekday_master_on_postgres(
    production_instance: dg.DagsterInstance, postgres_server: PostgresServer, nifty_config: tuple[Path, Path]
) -> None:
    from g6_pipeline.defs.history.assets import weekday_master
    from g6_pipeline.defs.partitions import register
    from g6_pipeline.defs.resources import G6Resource, shared_resources

    config, data = nifty_config
    register(production_instance, [date.fromisoformat(d) for d in DAYS], ["NIFTY"])
    result = dg.materialize(
        [weekday_master],
        instance=production_instance,
        resources=shared_resources(G6Resource(config_dir=str(config))),
        tags={"dagster/asset_partition_range_start": f"{DAYS[0]}|NIFTY",
              "dagster/asset_partition_range_end": f"{DAYS[-1]}|NIFTY"},
    )
    assert result.success

    for day in DAYS:
        weekday = date.fromisoformat(day).weekday()
        master = load_weekday_master("NIFTY", "this_month", 0, weekday, data_dir=str(data))
        assert len(master) > 0
    materialized = production_instance.get_materialized_partitions(dg.AssetKey("weekday_master"))
    assert materialized == {f"{day}|NIFTY" for day in DAYS}
    stored = rows(
        postgres_server,
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        result.run_id,
    )
    assert stored == [(len(DAYS),)]


@pytest.mark.slow
def test_production_layout_collects_from_the_minute_sensor(
    production_instance: dg.DagsterInstance, nifty_config: tuple[Path, Path], tmp_path: Path
) -> None:
    """PostgreSQL + the g6_pipeline gRPC code server + one daemon: the minute sensor's run writes the minute."""
    _, data = nifty_config
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    target = ["--module-name", "g6_pipeline.definitions"]
    logs = [tmp_path / "code_server.log", tmp_path / "daemon.log"]
    with code_server(target, env, logs[0]) as port:
        workspace = grpc_workspace(tmp_path / "workspace.yaml", port)
        with daemon(workspace, env, logs[1]):
            deadline = time.monotonic() + 150
            done: Sequence[dg.RunRecord] = []
            while not done and time.monotonic() < deadline:
                time.sleep(1.0)
                done = production_instance.get_run_records(
                    filters=dg.RunsFilter(
                        statuses=[dg.DagsterRunStatus.SUCCESS], tags={"g6/run_kind": "collection"}
                    )
                )
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
            assert done, f"no successful collection run within 150 s\n{tails}"
    minute = datetime.fromisoformat(done[0].dagster_run.tags["g6/minute"])
    chain = load_chain(minute.date(), "NIFTY", data_dir=str(data))
    assert minute in set(chain["timestamp"])
