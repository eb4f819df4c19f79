"""Which Dagster instance the `g6` commands use: the one `make run` uses, unless `DAGSTER_HOME` says otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from g6_pipeline.settings import LoadedSettings

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
