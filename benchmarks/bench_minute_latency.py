"""Benchmark: sensor-launched minute runs under `dagster dev`, started the way `make run` starts it, beside an
empty-op Dagster project (`benchmarks/empty_project.py`: one run of one empty op a minute) in the same instance.

A temporary DAGSTER_HOME holds the repository's `dagster.yaml`; the configuration is the repository's with its
own data directory and the market-hours gate off (so the sensor requests a run every minute, at any hour).
`dagster dev` runs from the repository root on a free 127.0.0.1 port in its own process group, with a workspace
of two code locations (G6's definitions and the empty project), and is stopped with SIGTERM to the group.
Once `--runs` G6 minute runs have finished after the first one (reported on its own: the first minute after
start), or `--timeout` seconds have passed, the instance's run records and the collect op's metadata give, as
percentiles over the runs:

- minute start → run created (negative: launched ahead of the minute) and run created → START;
- minute start → first quote request, and the spread from the first to the last quote request of the minute;
- minute start → Parquet on disk (the newest options slice of the minute over every enabled index): the goal is
  p50 ≤ 1.5 s, p95 ≤ 3 s;
- the run's own cost, run created → finished less the wait for its minute, against the empty-op run's created →
  finished: the difference is the minute job's own overhead (split into created → START, the worker starting and
  loading the definitions, and START → finished less the wait: the ops, their events and G6's work).

It also prints `python -X importtime` of `import g6_pipeline.definitions` against `import dagster` alone, and the
wall time of loading the definitions (import and build, as a code server or run worker does) against the same.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_minute_latency.py [--runs 20] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import os
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

G6_SENSOR = "minute_sensor"
G6_MINUTE_TAG = "g6/minute"
EMPTY_MINUTE_TAG = "bench/minute"
SENSOR_TAG = "dagster/sensor_name"
COLLECT_STEPS = ("collect_minute", "fetch_chains")
"""The op whose output metadata says when the minute's quotes were requested (and its name before it also
analysed and wrote), for measuring an older checkout with this script."""
GOAL_P50, GOAL_P95 = 1.5, 3.0


@dataclass(frozen=True)
class MinuteRun:
    """The timestamps (epoch seconds) and collect-op figures of one finished sensor-launched G6 minute run."""

    minute: float
    status: str
    created: float
    started: float
    finished: float
    waited: float
    work: float | None
    first_quote: float | None
    spread: float | None
    on_disk: float | None

    @property
    def own_cost(self) -> float:
        """Run created → finished, less the wait for its minute."""
        return self.finished - self.created - self.waited


@dataclass(frozen=True)
class EmptyRun:
    """The timestamps (epoch seconds) of one finished empty-op run."""

    created: float
    started: float
    finished: float


def _gate_off(platform: dict[str, Any]) -> None:
    """The market-hours gate off, so that the sensor requests a run every minute, at any hour."""
    platform.setdefault("collection", {})["market_hours_gate"] = False


def write_workspace(root: Path) -> Path:
    """A workspace of G6's definitions (as workspace.yaml loads them) and the empty project."""
    path = root / "workspace.yaml"
    path.write_text(
        "load_from:\n"
        "  - python_module:\n      module_name: g6_pipeline.definitions\n      location_name: g6_pipeline\n"
        f"  - python_file:\n      relative_path: {REPO / 'benchmarks' / 'empty_project.py'}\n"
        "      location_name: empty_project\n"
    )
    return path


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


def output_metadata(instance: Any, run_id: str, steps: tuple[str, ...]) -> dict[str, Any]:
    """The output metadata of the first of `steps` that recorded some, as plain values (else empty)."""
    import dagster as dg

    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT):
        event = entry.dagster_event
        if event is not None and event.step_key in steps:
            return {k: getattr(v, "value", v) for k, v in event.step_output_data.metadata.items()}
    return {}


def _epoch(text: Any) -> float | None:
    return datetime.fromisoformat(text).timestamp() if isinstance(text, str) and text else None


def finished_runs(home: Path, data: Path) -> tuple[list[MinuteRun], list[EmptyRun]]:
    """The finished G6 minute runs (successful or failed) and successful empty-op runs of the instance, oldest
    first."""
    import dagster as dg

    g6: list[MinuteRun] = []
    empty: list[EmptyRun] = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
        for record in reversed(instance.get_run_records(filters=dg.RunsFilter(statuses=statuses))):
            run = record.dagster_run
            if record.start_time is None or record.end_time is None:
                continue
            if run.status != dg.DagsterRunStatus.SUCCESS and EMPTY_MINUTE_TAG in run.tags:
                continue
            created = record.create_timestamp.timestamp()
            if EMPTY_MINUTE_TAG in run.tags:
                empty.append(EmptyRun(created, record.start_time, record.end_time))
                continue
            if run.tags.get(SENSOR_TAG) != G6_SENSOR:
                continue
            minute = datetime.fromisoformat(run.tags[G6_MINUTE_TAG])
            meta = output_metadata(instance, run.run_id, COLLECT_STEPS)
            work = meta.get("fetch_to_stored_seconds")
            spread = meta.get("quote_request_spread_seconds")
            g6.append(MinuteRun(
                minute.timestamp(), run.status.value, created, record.start_time, record.end_time,
                float(meta.get("waited_seconds", 0.0)), float(work) if isinstance(work, int | float) else None,
                _epoch(meta.get("first_quote_request")), spread if isinstance(spread, float) and spread >= 0 else None,
                on_disk_at(data, minute),
            ))
    return g6, empty


def wait_for_runs(
    process: subprocess.Popen[bytes], root: Path, runs: int, timeout: float
) -> tuple[list[MinuteRun], list[EmptyRun]]:
    """Poll the instance until `runs` G6 minute runs finished after the first, `dagster dev` exited, or
    `timeout` passed."""
    deadline = time.monotonic() + timeout
    done: tuple[list[MinuteRun], list[EmptyRun]] = ([], [])
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(10)
        if (root / "dagster_home" / "history").exists():
            done = finished_runs(root / "dagster_home", root / "data")
            print(f"  {len(done[0])} G6 and {len(done[1])} empty-op run(s) finished", file=sys.stderr)
            if len(done[0]) > runs:
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


def wall_seconds(code: str, env: dict[str, str]) -> float:
    """Wall time of `python -c code` in a fresh interpreter, in seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (linear between the closest ranks)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: list[float]) -> str:
    """p50 and p95 in seconds with the range and the count, or a dash."""
    if not values:
        return "—"
    return (f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n {len(values)})")


def _runs_table(g6: list[MinuteRun]) -> None:
    for r in g6:
        quote = f"{r.first_quote - r.minute:+.3f} s" if r.first_quote else "—"
        disk = f"{r.on_disk - r.minute:+.2f} s" if r.on_disk else "—"
        print(f"  run of {datetime.fromtimestamp(r.minute):%H:%M} {r.status}: created {r.created - r.minute:+.2f} s, "
              f"START {r.started - r.minute:+.2f} s, waited {r.waited:.2f} s, first quote {quote}, "
              f"on disk {disk}, finished {r.finished - r.minute:+.2f} s", file=sys.stderr)


def report(g6: list[MinuteRun], empty: list[EmptyRun], env: dict[str, str]) -> None:
    """Print the percentiles, the overhead over the empty-op run and the import and load costs."""
    _runs_table(g6)
    first = g6[0]
    steady = [r for r in g6[1:] if r.status == "SUCCESS"]
    print(f"first minute after start ({datetime.fromtimestamp(first.minute):%H:%M}): {first.status}, on disk "
          + (f"{first.on_disk - first.minute:+.2f} s" if first.on_disk else "—"))
    print(f"G6 minute runs measured: {len(steady)} (failed after the first: {len(g6) - 1 - len(steady)}); "
          f"empty-op runs: {len(empty)}")
    print(f"minute start → run created        : {spread([r.created - r.minute for r in steady])}")
    print(f"run created  → START              : {spread([r.started - r.created for r in steady])}")
    print(f"minute start → first quote request: {spread([r.first_quote - r.minute for r in steady if r.first_quote])}")
    print(f"first → last quote request        : {spread([r.spread for r in steady if r.spread is not None])}")
    disk = [r.on_disk - r.minute for r in steady if r.on_disk]
    print(f"minute start → Parquet on disk    : {spread(disk)}")
    if disk:
        met = percentile(disk, 50) <= GOAL_P50 and percentile(disk, 95) <= GOAL_P95
        print(f"  goal p50 ≤ {GOAL_P50} s and p95 ≤ {GOAL_P95} s: {'met' if met else 'missed'}")
    ours = [r.own_cost for r in steady]
    floor = [e.finished - e.created for e in empty]
    print(f"G6 run created → finished − wait  : {spread(ours)}")
    print(f"empty-op run created → finished   : {spread(floor)}")
    if ours and floor:
        load = statistics.median(r.started - r.created for r in steady) - statistics.median(
            e.started - e.created for e in empty)
        work = statistics.median(r.finished - r.started - r.waited for r in steady) - statistics.median(
            e.finished - e.started for e in empty)
        total = statistics.median(ours) - statistics.median(floor)
        print(f"G6 run over the empty-op run (medians): {total:.2f} s = created → START {load:+.2f} s, "
              f"START → finished − wait {work:+.2f} s; ratio {statistics.median(ours) / statistics.median(floor):.2f}")
        cycle = [r.work for r in steady if r.work is not None]
        if cycle:
            job = [r.finished - r.started - r.waited - r.work for r in steady if r.work is not None]
            own = statistics.median(job) - statistics.median(e.finished - e.started for e in empty)
            print(f"  the minute's work, fetch → stored       : {spread(cycle)}")
            print(f"  START → finished − wait − that work     : {own:+.2f} s over the empty op (medians "
                  f"{statistics.median(job):.2f} s and {statistics.median(e.finished - e.started for e in empty):.2f} s:"
                  " the setup, the provider's preparation, events, publishing)")
    ours_import = statistics.median(import_seconds("g6_pipeline.definitions", env) for _ in range(3))
    base_import = statistics.median(import_seconds("dagster", env) for _ in range(3))
    print(f"import g6_pipeline.definitions {ours_import:.2f} s vs import dagster {base_import:.2f} s: "
          f"ratio {ours_import / base_import:.2f}")
    ours_load = statistics.median(
        wall_seconds("import g6_pipeline.definitions as d; d.defs()", env) for _ in range(3))
    base_load = statistics.median(wall_seconds("import dagster", env) for _ in range(3))
    print(f"load the definitions (python, import, build) {ours_load:.2f} s vs python + import dagster "
          f"{base_load:.2f} s: ratio {ours_load / base_load:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Start `dagster dev`, wait for the runs, stop it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="G6 minute runs to wait for after the first (20)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="g6-bench-latency-") as tmp:
        root = Path(tmp)
        env = prepare(root, _gate_off)
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        process = start_dagster_dev(env, free_port(), root / "dagster_dev.log", write_workspace(root))
        try:
            g6, empty = wait_for_runs(process, root, args.runs, args.timeout)
        finally:
            stop_group(process)
        print(f"load average at end  : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not g6:
            print((root / "dagster_dev.log").read_text()[-4000:], file=sys.stderr)
            print("no minute run finished", file=sys.stderr)
            return 1
        report(g6, empty, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
