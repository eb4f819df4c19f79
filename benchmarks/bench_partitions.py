"""Benchmark: the Dagster model at two hundred underlyings for a year — definitions, UI queries, the daemon's tick.

G6's daily assets are partitioned by trading day × underlying, both dynamic (`defs/partitions.py`). This builds,
for each scale, a real SQLite instance (the repository's `dagster.yaml`, in memory under /dev/shm when there is
one: recording a year of events on disk takes hours on a busy machine) holding `--days` trading days × N
underlyings of partitions, the sealed day materialized for all but the last day and the minute asset for the
last week (as a year of collection leaves them), then measures:

- **register**: adding the days and underlyings as dynamic partitions (`defs.partitions.register`);
- **materializations**: recording those events, one run per day (setup; reported, not a figure of G6's own);
- **minute run**: a run logging one minute's materializations of the minute asset, for every underlying (as
  each minute run did) and for 16 (the most a minute run reports, `defs.collection.minutes`);
- **definitions load**: a fresh process importing `g6_pipeline.definitions` and building the repository;
- **UI**: a real `dagster-webserver` on the instance: the asset catalogue, an asset page's partition status
  (`assetPartitionStatuses` of the day × underlying grid) cold and warm, its partition counts
  (`partitionStats`), and the key list of both dimensions; medians of `--repeat` requests after the first;
- **automation tick**: `dg.evaluate_automation_conditions` over the daily assets, twice (the second from the
  first's cursor, as the daemon's next tick), an hour after the last day's close.

The baseline is the same year at the four default indices, measured in the same run; ratios are printed.

    .venv/bin/python benchmarks/bench_partitions.py [--underlyings 200] [--days 250] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.daemon import free_port, stop_group  # noqa: E402
from g6_pipeline.core.calendar import MarketCalendar  # noqa: E402
from g6_pipeline.core.clock import IST  # noqa: E402
from g6_pipeline.core.underlyings import DEFAULT_UNDERLYINGS, expand  # noqa: E402
from g6_pipeline.defs.partitions import partition_key, register  # noqa: E402

MINUTES, DAILY = dg.AssetKey("option_chain_minutes"), dg.AssetKey("option_chain_daily")
STATUS_QUERY = """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode {
  assetPartitionStatuses { ... on MultiPartitionStatuses { primaryDimensionName ranges { primaryDimStartKey
    primaryDimEndKey secondaryDim { ... on DefaultPartitionStatuses { materializedPartitions failedPartitions
    materializingPartitions } } } } } } } }"""
STATS_QUERY = """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode {
  partitionStats { numMaterialized numPartitions numFailed numMaterializing } } } }"""
KEYS_QUERY = """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode {
  partitionKeysByDimension { name partitionKeys } } } }"""
CATALOGUE_QUERY = """{ assetNodes { assetKey { path } groupName partitionDefinition { description }
  automationCondition { label } } }"""


def trading_days(count: int) -> list[date]:
    """The last `count` trading days up to the end of the holiday file's coverage."""
    calendar = MarketCalendar.load(REPO / "config")
    days = calendar.trading_days(date(2024, 1, 1), calendar.covered_until)
    return days[-count:]


def _emit_job(events: list[dg.AssetMaterialization]) -> dg.JobDefinition:
    """A one-op job that logs `events` (as a collection run logs its minute's materializations)."""

    @dg.op(name="emit")
    def emit(context) -> None:  # type: ignore[no-untyped-def]  # a closure: Dagster cannot resolve an annotation
        for event in events:
            context.log_event(event)

    @dg.job(name="emit_events")
    def emit_events() -> None:
        emit()

    return emit_events


def minute_event(day: date, name: str, minute: int) -> dg.AssetMaterialization:
    """The materialization a minute run reports for one (day, underlying), with its metadata."""
    return dg.AssetMaterialization(MINUTES, partition=str(partition_key(day, name)), description=f"{name} minute",
                                   metadata={"minute": minute, "dagster/row_count": 44, "missing_legs": 0,
                                             "source": "kite", "minutes_stored": minute})


def build_instance(home: Path, days: list[date], names: list[str]) -> dict[str, float]:
    """Register the partitions and record a year of sealed days (one run per day) and the minute asset of the
    last week; the seconds each took."""
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    out = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        started = time.perf_counter()
        register(instance, days, names)
        out["register"] = time.perf_counter() - started
        started = time.perf_counter()
        for day in days[:-1]:
            events = [dg.AssetMaterialization(DAILY, partition=str(partition_key(day, n))) for n in names]
            _emit_job(events).execute_in_process(instance=instance)
        for day in days[-5:]:
            _emit_job([minute_event(day, n, 375) for n in names]).execute_in_process(instance=instance)
        out["materializations"] = time.perf_counter() - started
    return out


def minute_run_events(home: Path, day: date, names: list[str], repeat: int) -> float:
    """Median seconds of a run that logs one minute's materializations for `names` (as a collection run does)."""
    job = _emit_job([minute_event(day, n, 100) for n in names])
    with dg.DagsterInstance.from_config(str(home)) as instance:

        def once() -> float:
            started = time.perf_counter()
            job.execute_in_process(instance=instance)
            return time.perf_counter() - started

        return _median(once, repeat)


def definitions_load(env: dict[str, str]) -> float:
    """Seconds a fresh process takes to import the definitions and build the repository (its own timer)."""
    code = ("import time; t = time.perf_counter(); from g6_pipeline.definitions import defs; "
            "defs().get_repository_def().asset_graph; print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
    """(seconds, data) of one GraphQL request to the webserver."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:
        payload = json.loads(answer.read())
    seconds = time.perf_counter() - started
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL error: {payload['errors'][0].get('message')}")
    return seconds, payload["data"]


def ui_queries(env: dict[str, str], repeat: int) -> dict[str, float]:
    """Start dagster-webserver on the instance; the cold and median warm seconds of the UI's queries."""
    port = free_port()
    log = Path(env["DAGSTER_HOME"]) / "webserver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
             "-w", str(REPO / "workspace.yaml")],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 300:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        graphql(port, CATALOGUE_QUERY)  # the code location is loaded
        path = {"path": [DAILY.path[-1]]}
        out = {"catalogue": _median(lambda: graphql(port, CATALOGUE_QUERY)[0], repeat)}
        out["status cold"] = graphql(port, STATUS_QUERY, path)[0]
        out["status warm"] = _median(lambda: graphql(port, STATUS_QUERY, path)[0], repeat)
        out["partition stats"] = _median(lambda: graphql(port, STATS_QUERY, path)[0], repeat)
        out["partition keys"] = _median(lambda: graphql(port, KEYS_QUERY, path)[0], repeat)
        return out
    finally:
        stop_group(process)


def _median(measure: Callable[[], float], repeat: int) -> float:
    return statistics.median(measure() for _ in range(repeat))


def automation_ticks(home: Path, last_day: date) -> dict[str, float]:
    """Seconds of two consecutive evaluations of the daily assets' automation conditions."""
    from g6_pipeline.definitions import defs

    definitions = defs()
    when = datetime.combine(last_day, datetime.min.time(), IST) + timedelta(hours=16, minutes=30)
    selection = dg.AssetSelection.groups("daily")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        started = time.perf_counter()
        first = dg.evaluate_automation_conditions(defs=definitions, instance=instance, asset_selection=selection,
                                                  evaluation_time=when)
        out = {"tick 1": time.perf_counter() - started, "requested": float(first.total_requested)}
        started = time.perf_counter()
        dg.evaluate_automation_conditions(defs=definitions, instance=instance, asset_selection=selection,
                                          evaluation_time=when + timedelta(minutes=1), cursor=first.cursor)
        out["tick 2"] = time.perf_counter() - started
    return out


def measure(root: Path, label: str, days: list[date], names: list[str], repeat: int) -> dict[str, float]:
    """Every figure for one scale, in its own DAGSTER_HOME."""
    home = root / label
    print(f"{label}: {len(names)} underlyings × {len(days)} days = {len(names) * len(days):,} partitions", flush=True)
    figures = build_instance(home, days, names)
    figures["minute run, every partition"] = minute_run_events(home, days[-1], names, repeat)
    figures["minute run, 16 partitions"] = minute_run_events(home, days[-1], names[:16], repeat)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "G6_"))}
    env.update(DAGSTER_HOME=str(home), G6_CONFIG_DIR=str(REPO / "config"), PYTHONPATH=str(REPO))
    figures["definitions load"] = definitions_load(env)
    figures.update(ui_queries(env, repeat))
    os.environ["G6_CONFIG_DIR"] = str(REPO / "config")
    figures.update(automation_ticks(home, days[-1]))
    print("  " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    return figures


def main() -> None:
    """Measure the baseline and the target scale and print the table with ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--underlyings", type=int, default=200)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    days = trading_days(args.days)
    names = expand(["indices", "fo_stocks"])[: args.underlyings]
    load = os.getloadavg()[0]
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="g6-bench-partitions-", dir=shm if shm.is_dir() else None) as tmp:
        base = measure(Path(tmp), "baseline", days, list(DEFAULT_UNDERLYINGS), args.repeat)
        wide = measure(Path(tmp), "target", days, names, args.repeat)
    print(f"\nload average at start {load:.1f}, {os.cpu_count()} cores; seconds")
    print(f"| measure | {len(DEFAULT_UNDERLYINGS)} × {len(days)} ({len(DEFAULT_UNDERLYINGS) * len(days):,} keys) "
          f"| {len(names)} × {len(days)} ({len(names) * len(days):,} keys) | ratio |")
    print("|---|---|---|---|")
    for key in base:
        if key == "requested":
            continue
        ratio = wide[key] / base[key] if base[key] > 0 else float("nan")
        print(f"| {key} | {base[key]:.2f} | {wide[key]:.2f} | {ratio:.1f}× |")


if __name__ == "__main__":
    main()
