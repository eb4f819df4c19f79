"""Benchmark: the minute collection run from request to data on disk, on the PostgreSQL instance and on SQLite.

For each instance profile (`deploy/dagster.yaml` on a throw-away PostgreSQL 15 server; the embedded
`dagster.yaml` on SQLite) this starts the production layout for real: a gRPC code server serving the
collection job and one `dagster-daemon` with the queued run coordinator. It then requests one collection run
at a time, the way the minute sensor's tick does (create the run, submit it to the queue), each for its own
minute, and measures:

- request → data on disk: until the minute's Parquet slice of every enabled index exists;
- request → run finished: until the run record says SUCCESS;
- run start → run end, from the run record.

Medians over `--runs` runs (default 10) after one warm-up run. Synthetic provider, all four indices.

    .venv/bin/python benchmarks/bench_instance.py [--runs 10] [--profiles postgres,sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from g6_pipeline.defs.collection.job import collection_job, minute_run_config  # noqa: E402
from g6_pipeline.defs.resources import G6Resource  # noqa: E402

bench_defs = dg.Definitions(jobs=[collection_job], resources={"g6": G6Resource()})
"""The code location the benchmark serves: the collection job alone (no minute sensor adding runs)."""

FIRST_MINUTE = datetime.fromisoformat("2026-11-23T10:00:00+05:30")
INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")


@contextmanager
def profile_home(profile: str, root: Path) -> Iterator[dict[str, str]]:
    """DAGSTER_HOME for one profile; yields the environment the services and runs get."""
    home = root / f"home_{profile}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "KITE_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    if profile == "sqlite":
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        yield env
        return
    from g6_pipeline_tests.fakes.postgres import running_postgres

    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with running_postgres() as server:
        env.update(server.dagster_env(server.create_database("g6_bench")))
        yield env


def restore_environ(saved: dict[str, str]) -> None:
    """Put the process environment back as it was."""
    os.environ.clear()
    os.environ.update(saved)


def failure_of(instance: dg.DagsterInstance, run_id: str) -> str:
    """The messages of a failed run's failure events."""
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    events = [e for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.event_type in kinds]
    return " | ".join(e.message for e in events) or "no failure event recorded"


def slices_present(data: Path, minute: datetime) -> bool:
    """Whether the options slice of every index for `minute` is on disk."""
    folder = data / "parquet" / "options" / f"date={minute.date().isoformat()}"
    name = f"{minute:%H%M}.parquet"
    return all((folder / index / name).exists() for index in INDICES)


def bench_profile(profile: str, runs: int, root: Path) -> dict[str, float]:
    """Run the benchmark on one profile; returns the medians in seconds."""
    from dagster._cli.job import execute_launch_command
    from dagster._cli.workspace.cli_target import WorkspaceOpts

    from g6_pipeline_tests.deploy.services import code_server, daemon, grpc_workspace

    data = root / f"data_{profile}"
    config = root / f"config_{profile}"
    config.mkdir()
    for name in ("holidays.json", "indices_config.json"):
        shutil.copy(REPO / "config" / name, config / name)
    (config / "platform_config.json").write_text(json.dumps({"provider": "synthetic", "data_dir": str(data)}))

    to_data: list[float] = []
    to_done: list[float] = []
    in_run: list[float] = []
    with ExitStack() as stack:
        env = stack.enter_context(profile_home(profile, root))
        env["G6_CONFIG_DIR"] = str(config)
        old_env = dict(os.environ)
        os.environ.update(env)  # the in-process submitter opens the same instance
        stack.callback(restore_environ, old_env)
        target = ["-f", str(Path(__file__).resolve()), "-a", "bench_defs"]
        port = stack.enter_context(code_server(target, env, root / f"code_{profile}.log"))
        workspace = grpc_workspace(root / f"workspace_{profile}.yaml", port)
        instance = stack.enter_context(dg.DagsterInstance.get())
        stack.enter_context(daemon(workspace, env, root / f"daemon_{profile}.log"))
        for i in range(runs + 1):
            minute = FIRST_MINUTE + timedelta(minutes=i)
            run_config = minute_run_config(minute).to_config_dict()
            started = time.perf_counter()
            run = execute_launch_command(
                instance=instance,
                workspace_opts=WorkspaceOpts(workspace=(str(workspace),)),
                job_name="collection_job",
                config_json=json.dumps(run_config),
            )
            data_at = done_at = None
            deadline = started + 180
            while done_at is None:
                now = time.perf_counter()
                if now > deadline:
                    raise RuntimeError(f"{profile}: run {run.run_id} did not finish in 180 s")
                if data_at is None and slices_present(data, minute):
                    data_at = now
                record = instance.get_run_record_by_id(run.run_id)
                if record is not None and record.dagster_run.is_finished:
                    if record.dagster_run.status != dg.DagsterRunStatus.SUCCESS:
                        raise RuntimeError(
                            f"{profile}: run {run.run_id} failed: {failure_of(instance, run.run_id)}"
                        )
                    done_at = now
                    if i > 0:  # the first run warms the code server up
                        to_data.append((data_at or now) - started)
                        to_done.append(done_at - started)
                        in_run.append((record.end_time or 0.0) - (record.start_time or 0.0))
                time.sleep(0.05)
            print(
                f"  {profile} run {i}: request→data {((data_at or done_at) - started):.2f} s", file=sys.stderr
            )
    return {
        "request_to_data": statistics.median(to_data),
        "request_to_data_min": min(to_data),
        "request_to_data_max": max(to_data),
        "request_to_finished": statistics.median(to_done),
        "run_start_to_end": statistics.median(in_run),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--profiles", default="postgres,sqlite")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="g6-bench-instance-") as tmp:
        for profile in args.profiles.split(","):
            results[profile] = bench_profile(profile, args.runs, Path(tmp))
    print(
        f"collection run, synthetic provider, {len(INDICES)} indices; median of {args.runs} runs (seconds)\n"
    )
    print("| instance | request → data on disk (min–max) | request → run finished | run start → end |")
    print("|---|---|---|---|")
    for profile, m in results.items():
        spread = f"{m['request_to_data']:.2f} ({m['request_to_data_min']:.2f}–{m['request_to_data_max']:.2f})"
        print(f"| {profile} | {spread} | {m['request_to_finished']:.2f} | {m['run_start_to_end']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
