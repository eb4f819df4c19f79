"""A code location for the queue tests: a job tagged like minute collection and a plain one for backfills.

Runs meet through a file named by `MINUTE_STARTED` (an environment variable): a minute run creates it when it
starts, a backfill run holds its slot until it exists, so overlap or its absence never depends on machine speed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

MINUTE_STARTED = "G6_TEST_MINUTE_STARTED"
HOLD_SECONDS = 2.5
BACKFILL_WAIT_SECONDS = 60.0


@dg.op
def hold_minute() -> None:
    """Say the minute run started, then occupy it long enough for a second run to overlap if the queue allowed."""
    Path(os.environ[MINUTE_STARTED]).touch()
    time.sleep(HOLD_SECONDS)


@dg.op
def hold_backfill() -> None:
    """Occupy the backfill run until a minute run has started (bounded: a queue that holds collection back
    behind backfills shows as no overlap)."""
    started = Path(os.environ[MINUTE_STARTED])
    deadline = time.monotonic() + BACKFILL_WAIT_SECONDS
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


@dg.job(tags={"g6/run_kind": "collection"}, executor_def=dg.in_process_executor)
def minute_collection() -> None:
    """Stands in for one minute's collection run."""
    hold_minute()


@dg.job(executor_def=dg.in_process_executor)
def history_chunk() -> None:
    """Stands in for one run of a backfill."""
    hold_backfill()


defs = dg.Definitions(jobs=[minute_collection, history_chunk])
