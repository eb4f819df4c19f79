"""Backfilled synthetic days for the chain views, and an independent pyarrow reader of what was stored."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from g6_pipeline.core.clock import IST
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.config import make_config

FIRST, LAST = date(2026, 11, 13), date(2026, 11, 20)  # Fri..Fri: two Fridays in the weekday master
INDICES = {
    "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "strikes_below": 6, "strikes_above": 6,
              "expiry_tags": ["this_week", "next_week"]},
    "BANKNIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY BANK", "strikes_below": 5, "strikes_above": 5,
                  "expiry_tags": ["this_month"]},
}  # fmt: skip


def backfill(
    root: Path, indices: dict[str, dict[str, object]] = INDICES, first: date = FIRST, last: date = LAST
) -> tuple[Path, Path]:
    """(config dir, data dir) holding first..last for `indices`, written by the real writers (again: more days)."""
    data = root / "data"
    config = make_config(root / "config", data)
    (config / "indices_config.json").write_text(json.dumps(indices))
    backfill_synthetic(ProcessSetup.load(load_settings(config, environ={})), first, last)
    return config, data


def stored_rows(data: Path, table: str, day: date, index: str) -> pa.Table:
    """Every stored row of one day's table, read straight from the Parquet files."""
    folder = Path(DataLocation(data).table_dir(table, day, index).path)
    return pa.concat_tables(pq.read_table(path) for path in sorted(folder.glob("*.parquet")))


def at_minute(table: pa.Table, day: date, hhmm: str) -> pa.Table:
    """The rows of one minute (HH:MM, IST)."""
    stamp = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tzinfo=IST)
    return table.filter(pc.equal(table.column("timestamp"), pa.scalar(stamp, table.schema.field("timestamp").type)))


def legs(table: pa.Table, tag: str) -> dict[tuple[float, str], dict[str, Any]]:
    """(strike, side) → stored row of one expiry tag."""
    rows = table.filter(pc.equal(table.column("expiry_tag"), tag)).to_pylist()
    return {(float(r["strike"]), str(r["side"])): r for r in rows}
