"""Configuration folders and file hashes for the backfill tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config

SPECS = {
    "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50"},
    "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX"},
}


def small_config(root: Path, *indices: str, **platform: object) -> Path:
    """`root/config` for `indices` (ATM ± 2, this and next week), data in `root/data`."""
    config = make_config(root / "config", root / "data", **platform)
    (config / "indices_config.json").write_text(json.dumps({
        name: {**SPECS[name], "strikes_below": 2, "strikes_above": 2, "expiry_tags": ["this_week", "next_week"]}
        for name in indices
    }))
    return config


def setup_of(config: Path) -> ProcessSetup:
    """The process setup of a configuration folder (the environment ignored)."""
    return ProcessSetup.load(load_settings(config, environ={}))


LAYOUT_MARKER = "parquet/_layout.json"
"""Written when a process first opens a directory that holds Parquet: setup, not stored data."""
LOCKS = ".g6-locks/"
"""The writers' lock files (empty when free): not stored data."""


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` but the layout marker and the lock files, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and str(p.relative_to(root)) != LAYOUT_MARKER and not str(p.relative_to(root)).startswith(LOCKS)
    }


WALL_CLOCK = ["fetched_at"]
"""Stored columns that say when a minute was received, not what it holds (a backfill stamps the minute)."""


def stored_rows(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """`frame` without the `WALL_CLOCK` columns, sorted by `key` and renumbered, to compare two stores' rows."""
    return frame.drop(columns=WALL_CLOCK).sort_values(key, kind="stable", ignore_index=True)
