"""The server layout in deploy/: systemd units that systemd itself accepts, and a compose file and images whose
services, commands and environment agree with the production dagster.yaml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = [*sorted((DEPLOY / "systemd").glob("*.service")), DEPLOY / "systemd" / "g6.target"]
VENV_BIN = Path(sys.executable).parent


def env_names_of_dagster_yaml() -> set[str]:
    """Every environment variable deploy/dagster.yaml reads."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                found.add(node["env"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((DEPLOY / "dagster.yaml").read_text()))
    return found


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze not found: install it with `apt-get install -y systemd`"
    (tmp_path / "g6.env").write_text("")
    for unit in UNITS:  # the units as installed under /opt/g6, pointed at this checkout
        text = (
            unit.read_text().replace("/opt/g6", str(REPO)).replace("/etc/g6/g6.env", str(tmp_path / "g6.env"))
        )
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        [tool, "verify", "--man=no", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SYSTEMD_LOG_LEVEL": "notice", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_units_run_one_daemon_and_the_g6_code_location() -> None:
    exec_lines = {u.name: re.findall(r"^ExecStart=(.+)$", u.read_text(), re.M) for u in UNITS}
    assert sum("dagster-daemon run" in " ".join(lines) for lines in exec_lines.values()) == 1
    code = " ".join(exec_lines["g6-code-server.service"])
    assert "--module-name g6_pipeline.definitions" in code and "--location-name g6_pipeline" in code
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"]["location_name"] == "g6_pipeline"
    assert f"--port {entry['grpc_server']['port']}" in code
    for name, lines in exec_lines.items():
        for line in lines:
            binary = Path(line.split()[0])
            assert binary.parent == Path("/opt/g6/.venv/bin"), f"{name}: {binary} is not in the virtualenv"
            assert (VENV_BIN / binary.name).exists(), f"{name}: {binary.name} is not a Dagster command"


def test_env_example_provides_every_credential() -> None:
    example = (DEPLOY / "systemd" / "g6.env.example").read_text()
    given = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert env_names_of_dagster_yaml() <= given
    assert "DAGSTER_HOME" in given


def test_compose_services_agree_with_the_instance_config() -> None:
    compose = yaml.safe_load((DEPLOY / "docker" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "code", "daemon", "webserver"}
    commands = {name: svc.get("command", []) for name, svc in services.items()}
    assert commands["daemon"][:2] == ["dagster-daemon", "run"]
    assert sum(cmd[:1] == ["dagster-daemon"] for cmd in commands.values()) == 1
    for name in ("code", "daemon", "webserver"):
        assert (VENV_BIN / commands[name][0]).exists(), (
            f"{name}: {commands[name][0]} is not a Dagster command"
        )
        assert env_names_of_dagster_yaml() <= set(services[name]["environment"]), name
    assert all(port.startswith("127.0.0.1:") for port in services["webserver"]["ports"])
    workspace = yaml.safe_load((DEPLOY / "docker" / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"]["host"] == "code"
    assert str(entry["grpc_server"]["port"]) in commands["code"]


@pytest.mark.parametrize(
    "line",
    [ln for ln in (DEPLOY / "docker" / "Dockerfile").read_text().splitlines() if ln.startswith("COPY ")],
)
def test_dockerfile_copies_what_exists(line: str) -> None:
    sources = line.split()[1:-1]
    for source in sources:
        assert (REPO / source).exists(), f"Dockerfile: {source} does not exist in the repository"
