"""`g6 diagnose` against the real servers: the production instance on PostgreSQL, a Pushgateway, Prometheus,
and VictoriaMetrics standing in for InfluxDB (it answers the InfluxDB `/ping`; no InfluxDB 2.x server can be
installed here)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from g6_pipeline.cli.diagnose_checks import diagnose
from g6_pipeline.cli.diagnose_cmd import failed, render
from g6_pipeline_tests.cli.diagnose_setup import SESSION_MOMENT, context, publish_panels
from g6_pipeline_tests.fakes.postgres import PostgresServer
from g6_pipeline_tests.fakes.servers import start_prometheus, start_pushgateway, start_victoria_metrics


@pytest.mark.slow
def test_everything_configured_and_reachable(tmp_path: Path) -> None:
    with (
        start_pushgateway(tmp_path / "pgw") as gateway,
        start_prometheus(tmp_path / "prom", gateway.address) as prometheus,
        start_victoria_metrics(tmp_path / "vm") as victoria,
    ):
        platform = {"metrics": {"pushgateway_url": gateway.url}, "influx": {"url": victoria.url}}
        ctx = context(tmp_path, platform, prometheus_url=prometheus.url)
        publish_panels(tmp_path / "data", SESSION_MOMENT - timedelta(seconds=20))
        results = diagnose(ctx)
    assert not failed(results), render(results)
    statuses = {r.name: r.status for r in results}
    assert statuses["pushgateway"] == statuses["prometheus"] == statuses["influx"] == "ok"


@pytest.mark.slow
def test_a_service_answering_an_error_fails(tmp_path: Path) -> None:
    with start_pushgateway(tmp_path / "pgw") as gateway:
        # a Pushgateway configured as the InfluxDB: it answers, but not the InfluxDB /ping
        ctx = context(tmp_path, {"influx": {"url": gateway.url}})
        result = {r.name: r for r in diagnose(ctx)}["influx"]
    assert result.status == "fail" and "answered HTTP" in result.detail


@pytest.mark.slow
def test_production_instance_on_postgres(
    production_home: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    environ = {"DAGSTER_HOME": str(production_home)}
    environ.update({k: v for k, v in os.environ.items() if k.startswith("DAGSTER_PG_")})
    result = {r.name: r for r in diagnose(context(tmp_path, environ=environ))}["instance"]
    assert result.status == "ok", result.detail
    assert "Postgres storage" in result.detail and "queued one at a time" in result.detail
    assert postgres_server.password not in result.detail
