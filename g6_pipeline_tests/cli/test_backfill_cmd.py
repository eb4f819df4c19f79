"""`g6 backfill`: whole synthetic days through the same analytics and writers, and their weekday master."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.data import load_chain, load_overview, load_weekday_master


@pytest.mark.slow
def test_backfill_writes_days_and_weekday_master(
    g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = g6_env
    (config / "indices_config.json").write_text(json.dumps({
        "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX", "strikes_below": 2, "strikes_above": 2,
                   "expiry_tags": ["this_week"]},
    }))
    assert main(["backfill", "--start", "2026-11-19", "--end", "2026-11-24"]) == 0  # Thu, Fri, Mon (Tue holiday)
    assert "backfilled 3 trading days" in capsys.readouterr().out
    for day in ("2026-11-19", "2026-11-20", "2026-11-23"):
        chain = load_chain(day, "SENSEX", data_dir=str(data))
        assert chain["timestamp"].nunique() == 375
        assert len(load_overview(day, "SENSEX", data_dir=str(data))) == 375
    assert not (data / "parquet" / "options" / "date=2026-11-24").exists()
    master = load_weekday_master("SENSEX", "this_week", 0, "friday", data_dir=str(data))
    assert len(master) == 375 and set(master["counter"]) == {1}
    assert main(["backfill", "--start", "2026-11-20", "--end", "2026-11-19"]) == 2
