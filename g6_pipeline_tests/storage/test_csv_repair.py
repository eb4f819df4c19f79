"""A classic CSV line cut by a crash is rebuilt from the Parquet store at the next write."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.core.clock import IST
from g6_pipeline.settings import load_settings
from g6_pipeline_tests.fakes.config import make_config

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)
DAY = MINUTE.date().isoformat()
SERIES = [f"g6_data/NIFTY/this_week/+50/{DAY}.csv", f"g6_data/overview/NIFTY/{DAY}.csv"]


@pytest.fixture
def collect(tmp_path: Path) -> Collector:
    config = make_config(tmp_path / "config", tmp_path / "data")
    collector = Collector.from_settings(load_settings(config, environ={}))
    collector.publishers = []
    return collector


def three_minutes(tmp_path: Path, collect: Collector, damage: object) -> None:
    for k in range(2):
        run_cycle(collect, MINUTE + timedelta(minutes=k))
    intact = {name: (tmp_path / "data" / name).read_bytes() for name in SERIES}
    for name, content in intact.items():
        (tmp_path / "data" / name).write_bytes(damage(content))  # type: ignore[operator]
    run_cycle(collect, MINUTE + timedelta(minutes=2))
    for name, content in intact.items():
        lines = (tmp_path / "data" / name).read_bytes().splitlines(keepends=True)
        assert [ln.split(b",")[0] for ln in lines[1:]] == [
            b"23-11-2026 10:15:00", b"23-11-2026 10:16:00", b"23-11-2026 10:17:00"
        ], name
        assert b"".join(lines[:3]) == content, f"{name}: the cut minute is back as it was written"


def test_a_last_line_cut_mid_write_is_rebuilt_from_parquet(tmp_path: Path, collect: Collector) -> None:
    three_minutes(tmp_path, collect, lambda content: content[:-25])


def test_a_last_line_shorter_than_the_header_is_rebuilt_from_parquet(tmp_path: Path, collect: Collector) -> None:
    three_minutes(tmp_path, collect, lambda content: content[: content.rindex(b",", 0, -40)] + b"\n")
