"""Materializing G6's daily assets in a test instance, as the UI or the automation would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import dagster as dg

from g6_pipeline.defs.history.assets import seal_day, weekday_master
from g6_pipeline.defs.partitions import partition_key, register
from g6_pipeline.defs.resources import G6Resource, shared_resources


def materialize_day(
    instance: dg.DagsterInstance,
    config: Path,
    day: date,
    index: str,
    assets: Sequence[dg.AssetsDefinition] = (seal_day,),
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """Register (day, index) as a partition and materialize `assets` (the seal by default) for it."""
    register(instance, [day], [index])
    return dg.materialize(
        list(assets), instance=instance, resources=shared_resources(G6Resource(config_dir=str(config))),
        partition_key=str(partition_key(day, index)), raise_on_error=raise_on_error,
    )


def fold_day(instance: dg.DagsterInstance, config: Path, day: date, index: str) -> dg.ExecuteInProcessResult:
    """Register (day, index) and materialize its weekday-master partition."""
    return materialize_day(instance, config, day, index, assets=[weekday_master])
