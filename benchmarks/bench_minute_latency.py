"""Benchmark: sensor-launched minute runs under `dagster dev`, started the way `make run` starts it.

A temporary DAGSTER_HOME holds the repository's `dagster.yaml`; the configuration is the repository's with
its own data directory and the market-hours gate off (so the sensor requests a run every minute, at any
hour). `dagster dev` runs from the repository root on a free 127.0.0.1 port in its own process group and is
stopped with SIGTERM to the group (SIGKILL after a timeout). Once `--runs` minute runs have finished after
the first one (whose minute began before the UI was up), or `--timeout` seconds have passed, the run records of
the instance give, per run, in medians:

- minute start → run created (the sensor's interval and tick);
- run created → START (queue, launch, the run worker importing G6 and loading the definitions);
- START → finished (the run's own work);
- minute start → Parquet on disk (the newest options slice of the minute over every enabled index).

It also prints `python -X importtime` of `import g6_pipeline.definitions` against `import dagster` alone.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_minute_latency.py [--runs 5] [--timeout 600]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.daemon import REPO, free_port, prepare, start_dagster_dev, stop_group
from g6_pipeline.collection.run_tags import MINUTE_TAG


@dataclass(frozen=True)
class MinuteRun:
    """The timestamps (epoch seconds) of one finished sensor-launched minute run."""

    minute: float
    created: float
    starting: float | None
    started: float
    finished: float
    on_disk: float | None


def _gate_off(platform: dict[str, Any]) -> None:
    """The market-hours gate off, so that the sensor requests a run every minute, at any hour."""
    platform.setdefault("collection", {})["market_hours_gate"] = False


def on_disk_at(data: Path, minute: datetime) -> float | None:
    """When the minute's options slices of every enabled index were all on disk (newest mtime), else None."""
    from g6_pipeline.settings import load_settings
    from g6_pipeline.storage.location import DataLocation

    location = DataLocation(data)
    settings = load_settings(data.parent / "config").settings
    times = []
    for index in settings.enabled_indices:
        path = Path(location.minute_slice("options", minute.date(), index, minute).path)
        if not path.exists():
            return None
        times.append(path.stat().st_mtime)
    return max(times) if times else None


def finished_runs(home: Path, data: Path) -> list[MinuteRun]:
    """The successful sensor-launched minute runs of the instance, oldest first."""
    import dagster as dg

    out = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], tags={"dagster/sensor_name": "minute_sensor"})
        )
        for record in reversed(records):
            minute = datetime.fromisoformat(record.dagster_run.tags[MINUTE_TAG])
            if record.start_time is None or record.end_time is None:
                continue
            starting = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.RUN_STARTING)
            out.append(MinuteRun(
                minute.timestamp(), record.create_timestamp.timestamp(),
                starting[0].timestamp if starting else None, record.start_time, record.end_time,
                on_disk_at(data, minute),
            ))
    return out


def wait_for_runs(process: subprocess.Popen[bytes], root: Path, runs: int, timeout: float) -> list[MinuteRun]:
    """Poll the instance until `runs` minute runs finished, `dagster dev` exited, or `timeout` passed."""
    deadline = time.monotonic() + timeout
    done: list[MinuteRun] = []
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(10)
        if (root / "dagster_home" / "history").exists():
            done = finished_runs(root / "dagster_home", root / "data")[1:]  # the first minute began before the UI
            print(f"  {len(done)} minute run(s) finished after the first", file=sys.stderr)
            if len(done) >= runs:
                break
    return done


def import_seconds(module: str, env: dict[str, str]) -> float:
    """Cumulative `python -X importtime` of `module` in a fresh interpreter, in seconds."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )
    for line in reversed(proc.stderr.splitlines()):
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[2] == module:
            return int(fields[1]) / 1e6
    raise RuntimeError(f"no importtime line for {module}")


def median(values: list[float]) -> str:
    """The median in seconds with the range, or a dash."""
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def report(done: list[MinuteRun], env: dict[str, str]) -> None:
    """Print the four medians and the import-time ratio."""
    for r in done:
        print(f"  run of {datetime.fromtimestamp(r.minute):%H:%M}: created +{r.created - r.minute:.2f} s, "
              f"START +{r.started - r.minute:.2f} s, finished +{r.finished - r.minute:.2f} s", file=sys.stderr)
    print(f"sensor-launched minute runs measured: {len(done)}")
    print(f"minute start → run created : {median([r.created - r.minute for r in done])}")
    print(f"run created  → START       : {median([r.started - r.created for r in done])}")
    print(f"  created    → STARTING    : {median([r.starting - r.created for r in done if r.starting])}")
    print(f"  STARTING   → START       : {median([r.started - r.starting for r in done if r.starting])}")
    print(f"START        → finished    : {median([r.finished - r.started for r in done])}")
    print(f"run created  → finished    : {median([r.finished - r.created for r in done])}")
    print(f"minute start → Parquet     : {median([r.on_disk - r.minute for r in done if r.on_disk])}")
    ours = statistics.median(import_seconds("g6_pipeline.definitions", env) for _ in range(3))
    base = statistics.median(import_seconds("dagster", env) for _ in range(3))
    print(f"import g6_pipeline.definitions {ours:.2f} s vs import dagster {base:.2f} s: ratio {ours / base:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Start `dagster dev`, wait for the runs, stop it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="minute runs to wait for (default 5)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="g6-bench-latency-") as tmp:
        root = Path(tmp)
        env = prepare(root, _gate_off)
        process = start_dagster_dev(env, free_port(), root / "dagster_dev.log")
        try:
            done = wait_for_runs(process, root, args.runs, args.timeout)
        finally:
            stop_group(process)
        if not done:
            print((root / "dagster_dev.log").read_text()[-4000:], file=sys.stderr)
            print("no minute run finished", file=sys.stderr)
            return 1
        report(done, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
