"""A code location for the queue tests: a job tagged like minute collection and a plain one for backfills."""

from __future__ import annotations

import time

import dagster as dg

HOLD_SECONDS = 2.5


@dg.op
def hold() -> None:
    """Occupy the run long enough for a second run to overlap it if the queue allowed that."""
    time.sleep(HOLD_SECONDS)


@dg.job(tags={"g6/run_kind": "collection"}, executor_def=dg.in_process_executor)
def minute_collection() -> None:
    """Stands in for one minute's collection run."""
    hold()


@dg.job(executor_def=dg.in_process_executor)
def history_chunk() -> None:
    """Stands in for one run of a backfill."""
    hold()


defs = dg.Definitions(jobs=[minute_collection, history_chunk])
