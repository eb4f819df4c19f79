"""`g6 import-classic`: classic CSV files written by G6's own classic writer, intact and damaged, into the lake."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.history.weekday_master import update_range
from g6_pipeline.storage.classic_format import CLASSIC_COLUMNS
from g6_pipeline.storage.classic_import import ImportReport, import_classic
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.config import make_config

DAYS = ("2026-11-19", "2026-11-20")
COMPARED = ["last_price", "volume", "oi", "iv", "delta", "gamma", "theta", "vega", "rho", "average_price"]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a backfilled data dir, a copy of its g6_data/ as the original's folder)."""
    root = tmp_path_factory.mktemp("original")
    data = root / "data"
    config = root / "config"
    make_config(config, data)
    (config / "indices_config.json").write_text(json.dumps({
        "SENSEX": {"exchange": "BFO", "spot_key": "BSE:SENSEX", "strikes_below": 2, "strikes_above": 2,
                   "expiry_tags": ["this_week"]},
    }))  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("G6_CONFIG_DIR", str(config))
        for var in ("G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL", "DAGSTER_HOME"):
            patch.delenv(var, raising=False)
        assert main(["backfill", "--start", DAYS[0], "--end", DAYS[-1]]) == 0
    classic = root / "g6_data"
    shutil.copytree(data / "g6_data", classic)
    return data, classic


def _folder(original: tuple[Path, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "g6_data"
    shutil.copytree(original[1], folder)
    return folder


@pytest.mark.slow
def test_imported_rows_match_the_backfilled_ones(
    original: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, classic = original
    fresh = tmp_path / "fresh"
    assert main(["import-classic", str(classic), "--data-dir", str(fresh)]) == 0
    out = capsys.readouterr().out
    assert "0 refused" in out and "2 day×index partitions written" in out
    for day in DAYS:
        imported = load_chain(day, "SENSEX", data_dir=str(fresh))
        stored = load_chain(day, "SENSEX", data_dir=str(data))
        assert set(imported["source"]) == {"classic_import"}
        assert imported["tradingsymbol"].isna().all() and imported["bid"].isna().all()
        key = ["timestamp", "expiry_tag", "strike", "side"]
        both = stored.merge(imported, on=key, suffixes=("", "_imp"), validate="one_to_one")
        assert len(both) == len(stored) == len(imported)
        for name in COMPARED:  # the CSV rounds: prices to 2 decimals, IV and Greeks to 6 (gamma 8)
            np.testing.assert_allclose(both[f"{name}_imp"], both[name], atol=5e-3, rtol=1e-6, err_msg=name)
        over_imp = load_overview(day, "SENSEX", data_dir=str(fresh))
        over = load_overview(day, "SENSEX", data_dir=str(data))
        np.testing.assert_allclose(over_imp["pcr_this_week"], over["pcr_this_week"], atol=5e-5)
        assert over_imp["straddle_this_week"].isna().all()  # not in the CSV, so not invented
    assert main(["import-classic", str(classic), "--data-dir", str(fresh)]) == 0
    assert "0 imported" in capsys.readouterr().out


@pytest.mark.slow
def test_imported_days_fold_into_the_weekday_master(original: tuple[Path, Path], tmp_path: Path) -> None:
    data, classic = original
    location = DataLocation(tmp_path / "fresh")
    import_classic(classic, location)
    days = [date.fromisoformat(d) for d in DAYS]
    reports = update_range(location, days, "SENSEX", 0.5, MarketCalendar.load(), family="collected")
    assert [r.sources_folded for r in reports] == [(("classic_import",),)] * 2
    for weekday in ("THURSDAY", "FRIDAY"):
        imported = pd.read_csv(str(location.weekday_master_file("SENSEX", "this_week", 0, weekday)))
        backfilled = pd.read_csv(str(DataLocation(data).weekday_master_file("SENSEX", "this_week", 0, weekday)))
        assert list(imported.columns) == list(backfilled.columns)
        assert imported["timestamp"].tolist() == backfilled["timestamp"].tolist()
        np.testing.assert_allclose(imported["tp_mean"], backfilled["tp_mean"], atol=0.01)
        np.testing.assert_allclose(imported["ce_oi_mean"], backfilled["ce_oi_mean"], atol=0.5)


def assert_counts_add_up(report: ImportReport) -> None:
    """Every row read was imported, refused or skipped."""
    assert report.rows_read == report.rows_imported + sum(report.rows_refused.values()) + report.rows_skipped


def _one_file(folder: Path) -> Path:
    return sorted(folder.glob("SENSEX/this_week/0/*.csv"))[0]


def _rows(folder: Path, day: str = "*", overview: bool = True) -> int:
    """Data lines of the CSV files of `day` (every day by default; per-strike and, with `overview`, overview
    files), counted from the files: how many strikes a minute stores follows each minute's wings."""
    files = [*folder.glob(f"SENSEX/*/*/{day}.csv"), *(folder.glob(f"overview/SENSEX/{day}.csv") if overview else [])]
    return sum(p.read_bytes().count(b"\n") - 1 for p in files)


def test_a_cut_last_line_is_refused_and_the_rest_imported(
    original: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = _folder(original, tmp_path)
    path = _one_file(folder)
    text = path.read_bytes()
    path.write_bytes(text[: text.rstrip(b"\n").rfind(b",")])  # the last line loses its tail and its newline
    report = import_classic(folder, DataLocation(tmp_path / "fresh"))
    assert report.rows_refused == {"cut last line": 1}
    assert report.rows_imported == report.rows_read - 1
    last = text.count(b"\n")  # the header is line 1, each line ended with a newline
    assert [r.describe() for r in report.refusals] == [f"{path}:{last}: cut last line"]


def test_a_file_with_another_header_is_refused_by_name(original: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _folder(original, tmp_path)
    path = _one_file(folder)
    path.write_bytes(path.read_bytes().replace(b"ce_iv,", b"ce_ivx,", 1))
    fresh = tmp_path / "fresh"
    report = import_classic(folder, DataLocation(fresh))
    lines = path.read_bytes().count(b"\n") - 1
    assert report.files_refused == [f"{path}:1: not a classic per-strike header ({lines} rows)"]
    assert report.rows_read == _rows(original[1]) and report.rows_imported == report.rows_read - lines
    assert_counts_add_up(report)
    assert main(["import-classic", str(folder), "--data-dir", str(tmp_path / "again")]) == 1


def test_the_classic_header_without_pct_columns_is_accepted(
    original: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = _folder(original, tmp_path)
    path = _one_file(folder)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.iloc[:, :32].to_csv(path, index=False)
    report = import_classic(folder, DataLocation(tmp_path / "fresh"))
    assert report.files_refused == [] and report.rows_imported == report.rows_read == _rows(original[1])


def test_rows_with_bad_numbers_are_refused(original: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _folder(original, tmp_path)
    path = _one_file(folder)
    lines = path.read_bytes().split(b"\n")
    fields = lines[5].split(b",")
    fields[8] = b"12..5"  # ce
    lines[5] = b",".join(fields)
    fields = lines[9].split(b",")
    fields[0] = b"31-02-2026 09:20:00"  # no such day
    lines[9] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))
    fresh = DataLocation(tmp_path / "fresh")
    report = import_classic(folder, fresh)
    assert report.rows_refused == {"bad numbers": 2}
    assert [r.describe() for r in report.refusals] == [f"{path}:6: bad numbers", f"{path}:10: bad numbers"]
    assert report.rows_imported == _rows(original[1]) - 2
    assert_counts_add_up(report)
    day = path.stem
    chain = load_chain(day, "SENSEX", data_dir=str(fresh.root))
    assert len(chain) == 2 * (_rows(original[1], day, overview=False) - 2)


def test_days_the_lake_holds_are_left_alone(original: tuple[Path, Path], tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(original[0] / "parquet", data / "parquet")
    before = {p: p.read_bytes() for p in sorted((data / "parquet").rglob("*")) if p.is_file()}
    report = import_classic(original[1], DataLocation(data))
    assert report.rows_imported == 0 and len(report.skipped) == 4
    assert report.rows_skipped == report.rows_read == _rows(original[1])
    assert {p: p.read_bytes() for p in sorted((data / "parquet").rglob("*")) if p.is_file()} == before


def test_duplicate_overview_minutes_are_imported_once(original: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _folder(original, tmp_path)
    path = sorted(folder.glob("overview/SENSEX/*.csv"))[0]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines, lines[3]]))  # the original's two writers repeated rows
    fresh = tmp_path / "fresh"
    report = import_classic(folder, DataLocation(fresh))
    assert report.rows_refused == {"duplicate minute": 1}
    assert [r.describe() for r in report.refusals] == [f"{path}:4: duplicate minute"]
    assert_counts_add_up(report)
    assert len(load_overview(path.stem, "SENSEX", data_dir=str(fresh))) == 375


def test_the_command_names_file_and_line_of_each_refusal_and_its_counts_add_up(
    tmp_path: Path, g6_env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "g6_data"
    path = folder / "NIFTY" / "this_week" / "0" / "2026-11-20.csv"
    path.parent.mkdir(parents=True)

    def line(stamp: str, index: str = "NIFTY", ce: str = "101.5") -> str:
        fields = dict.fromkeys(CLASSIC_COLUMNS, "")
        fields.update(timestamp=stamp, index=index, expiry_tag="this_week", expiry_date="2026-11-24", offset="0",
                      index_price="24010.5", atm="24000", strike="24000", ce=ce, pe="92.25", tp="193.75")
        return ",".join(fields[c] for c in CLASSIC_COLUMNS) + "\n"

    path.write_text(",".join(CLASSIC_COLUMNS) + "\n" + line("20-11-2026 10:00:00") + line("20-11-2026 10:01:00")
                    + line("20-11-2026 10:02:00", ce="1O1.5") + "20-11-2026 10:03:00,NIFTY,this_week\n"
                    + line("20-11-2026 10:04:00", index="SENSEX"))  # fmt: skip
    assert main(["import-classic", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"g6 import-classic: refused {path}:4: bad numbers",
        f"g6 import-classic: refused {path}:5: wrong field count",
        f"g6 import-classic: refused {path}:6: row of another index or day than its file",
    ]
    assert f"{folder}: 5 rows read = 2 imported + 3 refused (1 bad numbers, 1 row of another index or day than its " \
           "file, 1 wrong field count) + 0 skipped; 1 day×index partitions written" in captured.out
    assert len(load_chain("2026-11-20", "NIFTY", data_dir=str(g6_env[1]))) == 4  # CE and PE of two minutes


def test_a_day_whose_classic_csv_the_data_directory_holds_of_unknown_source_is_skipped(
    original: tuple[Path, Path], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(original[1], data / "g6_data")  # collected by the original G6 into this directory: no Parquet
    before = {p: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}
    report = import_classic(_folder(original, tmp_path), DataLocation(data))
    assert report.rows_imported == 0 and report.rows_skipped == report.rows_read == _rows(original[1])
    assert {why.split(" (")[0] for *_, why in report.skipped} == {
        "the data directory holds data of this day whose source is not simulated"}
    assert {p: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file() and ".g6-locks" not in str(p)} == before

    own = import_classic(data / "g6_data", DataLocation(data))  # the directory's own classic files: imported
    assert own.rows_imported == own.rows_read == _rows(original[1])
