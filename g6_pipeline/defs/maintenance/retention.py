"""Retention: prune old collection runs from the Dagster instance, old raw minute slices and stale temporary files.

Dagster keeps every run's event log forever (one SQLite file per run on the embedded instance: ~15 GB a
year of minute runs). Sealed Parquet, classic CSV and the weekday master are never touched; temporary files
(`.<name>.tmp-<hex>`, left by a process killed while writing) are removed once they are a day old.
"""

import os
import time
from datetime import timedelta

import dagster as dg

from g6_pipeline.collection.run_tags import COLLECTION_TAGS, DAILY_TAGS
from g6_pipeline.core.clock import MARKET_TZ_NAME, now_ist
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.seal import prune_raw
from g6_pipeline.util.atomic_file import TEMPORARY_NAME

_BATCH = 500


def delete_old_collection_runs(instance: dg.DagsterInstance, older_than_days: int) -> int:
    """Delete finished collection runs created more than `older_than_days` ago; return how many."""
    cutoff = now_ist() - timedelta(days=older_than_days)
    deleted = 0
    while True:
        records = instance.get_run_records(
            filters=dg.RunsFilter(
                tags=COLLECTION_TAGS,
                statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
                created_before=cutoff,
            ),
            limit=_BATCH,
        )
        if not records:
            return deleted
        for record in records:
            instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)


def remove_stale_temporary_files(location: DataLocation, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete the temporary files of interrupted writes last modified more than `older_than` ago; return how many.

    Only a local data directory has them (an object store's put leaves no temporary file).
    """
    if not location.is_local:
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for folder, _, names in os.walk(location.root.path):
        for name in names:
            path = os.path.join(folder, name)
            try:
                if TEMPORARY_NAME.match(name) and os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:  # finished or removed meanwhile
                continue
    return removed


@dg.op(description="Delete old collection runs, raw minute slices of sealed days and stale temporary files.")
def prune(context: dg.OpExecutionContext, g6: G6Resource) -> None:
    """Apply `storage.run_retention_days` and `storage.raw_retention_days`."""
    storage = g6.loaded().settings.storage
    runs = delete_old_collection_runs(context.instance, storage.run_retention_days)
    cutoff_day = now_ist().date() - timedelta(days=storage.raw_retention_days)
    pruned = prune_raw(g6.location(), older_than=cutoff_day)
    temporary = remove_stale_temporary_files(g6.location())
    context.log.info(
        f"deleted {runs} collection runs, {pruned.files_removed} raw slice files, {temporary} temporary files"
    )
    context.add_output_metadata(
        {
            "runs_deleted": runs,
            "raw_files_removed": pruned.files_removed,
            "raw_bytes_removed": pruned.bytes_removed,
            "temporary_files_removed": temporary,
        }
    )


@dg.job(description="Prune old collection runs and raw files.", tags=DAILY_TAGS)
def retention_job() -> None:
    """One op."""
    prune()


retention_schedule = dg.ScheduleDefinition(
    job=retention_job,
    cron_schedule="30 17 * * *",
    execution_timezone=MARKET_TZ_NAME,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every evening at 17:30 IST.",
)
