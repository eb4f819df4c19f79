"""Which Dagster instance the `g6` commands use: the one `make run` uses, unless `DAGSTER_HOME` says otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from g6_pipeline.settings import LoadedSettings

if TYPE_CHECKING:
    import dagster as dg

PROJECT_HOME = ".dagster_home"
"""The instance folder `make run` creates beside the configuration folder."""


def dagster_home(loaded: LoadedSettings, environ: Mapping[str, str] | None = None) -> Path | None:
    """`DAGSTER_HOME` when it is a folder, else the project's `.dagster_home` next to the configuration folder
    when it exists (None: no instance to record in)."""
    configured = (os.environ if environ is None else environ).get("DAGSTER_HOME")
    if configured:
        return Path(configured) if Path(configured).is_dir() else None
    candidate = Path(loaded.config_dir).resolve().parent / PROJECT_HOME
    return candidate if candidate.is_dir() else None


def record_in_instance(
    loaded: LoadedSettings,
    pairs: Iterable[tuple[date, str]],
    events: Sequence[dg.AssetMaterialization | dg.AssetCheckEvaluation] = (),
    partitions: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Register the (day, index) pairs as partitions of the daily assets (and `partitions`: dynamic partitions
    name → keys, of other assets) and report `events` in the instance the `g6` commands use, so the UI shows
    them at once; returns a line saying where (or why nowhere)."""
    home = dagster_home(loaded)
    if home is None:
        return ("  not recorded in Dagster: DAGSTER_HOME is not set and there is no .dagster_home next to "
                f"{loaded.config_dir}")
    import dagster as dg

    from g6_pipeline.defs.partitions import register

    pairs = list(pairs)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        added = register(instance, [d for d, _ in pairs], [i for _, i in pairs])
        for name, keys in (partitions or {}).items():
            known = set(instance.get_dynamic_partitions(name))
            fresh = [k for k in dict.fromkeys(keys) if k not in known]
            if fresh:
                instance.add_dynamic_partitions(name, fresh)
                added += len(fresh)
        for event in events:
            instance.report_runless_asset_event(event)
    return (f"  recorded in the Dagster instance at {home}: {added} new partition keys, "
            f"{len(events)} materializations and check results")
