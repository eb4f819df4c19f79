"""Fixtures for the production profile: one real PostgreSQL server per test session, a fresh database per test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from g6_pipeline_tests.fakes.postgres import PostgresServer, running_postgres

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_YAML = REPO / "deploy" / "dagster.yaml"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server on 127.0.0.1 for the whole session, removed afterwards."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def production_home(postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME holding `deploy/dagster.yaml`, its credentials in the environment, on a new database."""
    database = postgres_server.create_database(f"dagster_{uuid.uuid4().hex[:12]}")
    for name, value in postgres_server.dagster_env(database).items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def production_instance(production_home: Path) -> Iterator[DagsterInstance]:
    """A real Dagster instance built from `deploy/dagster.yaml` on the test's PostgreSQL database."""
    with DagsterInstance.from_config(str(production_home)) as instance:
        yield instance
