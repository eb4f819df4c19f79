"""The move from the first Parquet layout: `load_chain` gives what it gave before, every reader agrees, a
second run changes nothing and a run cut short anywhere is finished by the next one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from upath import UPath

from g6_pipeline.cli.main import main
from g6_pipeline.data import load_chain
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import migrate_layout
from g6_pipeline_tests.storage.lake import (
    INDICES,
    MIXED_DAY,
    SEALED_DAY,
    expected_first_layout_chain,
    write_first_layout,
)

KEY = ["timestamp", "expiry_tag", "tradingsymbol"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_first_use_migrates_and_load_chain_gives_what_it_gave(tmp_path: Path) -> None:
    root = tmp_path / "data"
    late = write_first_layout(root)
    for day in (SEALED_DAY, MIXED_DAY):
        for index in INDICES:
            got = load_chain(day, index, data_dir=str(root)).sort_values(KEY, ignore_index=True)
            want = expected_first_layout_chain(day, index, late).sort_values(KEY, ignore_index=True)
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
            assert list(got.dtypes) == list(load_chain(day, index, data_dir=str(root)).dtypes)
    assert not list(root.rglob("index=*")), "no folder of the first layout is left"
    assert (root / "parquet" / "_layout.json").exists()
    assert sorted(p.name for p in (root / "parquet" / "options" / "date=2026-11-23" / "NIFTY").iterdir()) == [
        "day.parquet"
    ]  # the minute re-written after the first layout's seal is folded into the sealed file
    kept = root / "parquet" / "_raw" / "options" / "2026-11-20" / "NIFTY"
    assert sorted(p.name for p in kept.iterdir()) == ["0915.parquet", "0916.parquet", "0917.parquet"]
    total = sum(len(expected_first_layout_chain(d, i, late)) for d in (SEALED_DAY, MIXED_DAY) for i in INDICES)
    folder = root / "parquet" / "options"
    counted = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert counted == [(total,)]


def test_a_second_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    write_first_layout(root)
    assert main(["migrate", "--data-dir", str(root)]) == 0
    assert "2 partitions folded" in capsys.readouterr().out  # options and overview of NIFTY on 2026-11-23
    before = _tree(root)
    assert main(["migrate", "--data-dir", str(root)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert _tree(root) == before


@pytest.mark.parametrize("crash_after", [0, 1, 13, 31, 32, 33, 35])  # of 36 renames: 32 moves, 2 folds
def test_a_run_cut_short_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_after: int
) -> None:
    clean, cut = tmp_path / "clean", tmp_path / "cut"
    write_first_layout(clean)
    shutil.copytree(clean, cut)
    migrate_layout(DataLocation(clean))

    location = DataLocation(cut)
    real_move = location.move
    calls = {"n": 0}

    def move_then_crash(source: UPath, target: UPath) -> None:
        if calls["n"] >= crash_after:
            raise OSError("simulated crash")
        calls["n"] += 1
        real_move(source, target)

    monkeypatch.setattr(location, "move", move_then_crash)
    with pytest.raises(OSError, match="simulated crash"):
        migrate_layout(location)
    monkeypatch.undo()
    migrate_layout(DataLocation(cut))
    assert _tree(cut) == _tree(clean)
