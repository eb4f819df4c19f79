"""Running the real daemon for benchmarks and the soak: `dagster dev` as `make run` starts it, in a temporary
DAGSTER_HOME with the repository's `dagster.yaml` and a copy of the repository's configuration, its own process
group, and the instance's run records read back afterwards.

Used by `bench_minute_latency.py` and `soak.py` (run them with PYTHONPATH at the repository root).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SENSOR_TAG = "dagster/sensor_name"
MINUTE_SENSOR = "minute_sensor"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(root: Path, platform: Callable[[dict[str, Any]], None] | None = None) -> dict[str, str]:
    """`root/dagster_home` with the repository's dagster.yaml, `root/config` (the repository's configuration,
    data in `root/data`, then changed in place by `platform`), and the environment of `dagster dev`.

    G6_, KITE_ and DAGSTER_ variables of the caller are dropped so that only the copied configuration counts.
    """
    home, config, data = root / "dagster_home", root / "config", root / "data"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    shutil.copytree(REPO / "config", config)
    document = json.loads((config / "platform_config.json").read_text())
    document["data_dir"] = str(data)
    if platform is not None:
        platform(document)
    (config / "platform_config.json").write_text(json.dumps(document, indent=2))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "KITE_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), G6_CONFIG_DIR=str(config), PYTHONPATH=str(REPO))
    return env


def start_dagster_dev(
    env: Mapping[str, str], port: int, log: Path, workspace: Path | None = None
) -> subprocess.Popen[bytes]:
    """`dagster dev --host 127.0.0.1 --port PORT` from the repository root, as `make run`, in its own group
    (with `-w WORKSPACE` when one is given instead of the repository's workspace.yaml)."""
    extra = ["-w", str(workspace)] if workspace is not None else []
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "dagster"), "dev", "--host", "127.0.0.1", "--port", str(port), *extra],
            cwd=REPO, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_for_ui(process: subprocess.Popen[bytes], port: int, timeout: float = 180.0) -> bool:
    """Wait until the UI answers on `port` (False when `dagster dev` exited or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def stop_group(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM to the process group, then wait until every process of the group has ended (the daemon, the
    webserver, the code server and run workers may outlive `dagster dev` itself); SIGKILL to what is left of the
    group after `timeout` seconds."""
    from benchmarks.proctree import group_members

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_members(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def minute_run_records(home: Path, statuses: list[Any] | None = None) -> list[Any]:
    """The run records of the minute sensor's runs (optionally of these `DagsterRunStatus`es), oldest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(statuses=statuses or [], tags={SENSOR_TAG: MINUTE_SENSOR})
        )
    return list(reversed(records))


def run_failure(home: Path, run_id: str) -> str:
    """The message of a run's RUN_FAILURE event (else of its last STEP_FAILURE), or ''."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        for kind in (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE):
            events = instance.all_logs(run_id, of_type=kind)
            if events:
                entry = events[-1]
                data = entry.dagster_event.event_specific_data if entry.dagster_event else None
                error = getattr(data, "error", None)
                return str(getattr(error, "message", None) or entry.message or "").strip()
    return ""


def sensor_skips(home: Path, sensor: str = MINUTE_SENSOR) -> list[tuple[float, str]]:
    """(timestamp, skip reason) of the sensor's skipped ticks, oldest first."""
    import dagster as dg
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.scheduler.instigation import TickStatus

    out: list[tuple[float, str]] = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            if state.instigator_name != sensor:
                continue
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=100_000,
                                       statuses=[TickStatus.SKIPPED])
            out += [(t.timestamp, t.skip_reason or "") for t in ticks]
    return sorted(out)
