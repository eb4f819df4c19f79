"""The tags of G6's Dagster runs, in one place.

The run queue of dagster.yaml limits runs tagged `g6/run_kind=collection` to one at a time, retention
selects the collection runs by the same tag, and `g6 diagnose` checks that the limit is configured; all of
them read the names from here (plain strings: nothing here imports Dagster).
"""

from __future__ import annotations

RUN_KIND_TAG = "g6/run_kind"
"""What a run is: `collection` (one minute) or `daily` (sealing, weekday master, retention)."""
MINUTE_TAG = "g6/minute"
"""The minute (ISO 8601) a collection run collects."""
REPAIR_DAY_TAG = "g6/repair_day"
"""The day (YYYY-MM-DD) a gap-repair run refills."""
MAX_RUNTIME_TAG = "dagster/max_runtime"
"""Dagster run monitoring fails a run still going after this many seconds."""

COLLECTION = "collection"
COLLECTION_TAGS: dict[str, str] = {RUN_KIND_TAG: COLLECTION}
DAILY_TAGS: dict[str, str] = {RUN_KIND_TAG: "daily"}
COLLECTION_RUN_TAGS: dict[str, str] = {**COLLECTION_TAGS, MAX_RUNTIME_TAG: "55"}
"""A stuck minute run is failed by run monitoring before it can hold the collection slot into the next minute."""
