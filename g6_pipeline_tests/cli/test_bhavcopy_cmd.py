"""`g6 import-bhavcopy`: files in the exact UDiFF layout into the lake, read back by pandas, DuckDB and load_chain;
idempotent, never over collected data, downloads from a loopback archive."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pytest

from g6_pipeline.cli.main import main
from g6_pipeline.core.clock import IST
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.storage.classic_format import CLASSIC_COLUMNS
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink
from g6_pipeline_tests.fakes.bhavcopy import csv_bytes, nse_name, priced_chain, rows_of, write_zip
from g6_pipeline_tests.fakes.chains import make_chain, minute
from g6_pipeline_tests.history.history import file_hashes

MONDAY, TUESDAY, WEDNESDAY = date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)
EXPIRIES = [date(2026, 1, 13), date(2026, 1, 20), date(2026, 1, 27), date(2026, 2, 24)]
STRIKES = [float(k) for k in range(25700, 26350, 50)]


@pytest.fixture
def nifty(g6_env: tuple[Path, Path]) -> tuple[Path, Path]:
    config, data = g6_env
    (config / "indices_config.json").write_text(json.dumps({
        "NIFTY": {"exchange": "NFO", "spot_key": "NSE:NIFTY 50", "strikes_below": 2, "strikes_above": 2,
                  "expiry_tags": ["this_week", "next_week"]},
    }))
    return config, data


def bhavcopy(folder: Path, day: date, vol: float = 0.12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    contracts = priced_chain(day, 26010.0, EXPIRIES, STRIKES, vol, 0.065, 65)
    rows = rows_of(day, "NIFTY", 25990.0, contracts, 65) + rows_of(day, "BANKNIFTY", 59000.0, contracts[:2], 30)
    return write_zip(folder / nse_name(day), csv_bytes(rows))


def test_a_file_is_imported_and_read_back_by_every_reader(
    nifty: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = nifty
    path = bhavcopy(tmp_path / "in", MONDAY)
    assert main(["import-bhavcopy", str(path)]) == 0
    assert "1 files, 20 option rows written; day×index: 1 imported" in capsys.readouterr().out
    chain = load_chain(MONDAY, "NIFTY", data_dir=str(data))
    # two tags × five strikes (ATM 26000 ± 2) × two sides, at the closing minute
    assert len(chain) == 20 and set(chain["expiry_tag"]) == {"this_week", "next_week"}
    assert set(chain["timestamp"].astype(str)) == {"2026-01-05 15:29:00+05:30"}
    assert sorted(set(chain["strike"])) == [25900.0, 25950.0, 26000.0, 26050.0, 26100.0]
    assert set(chain["source"]) == {"bhavcopy"} and chain["iv"].notna().all()
    overview = load_overview(MONDAY, "NIFTY", data_dir=str(data))
    assert list(overview["source"]) == ["bhavcopy"] and overview["atm_iv_this_week"].notna().all()
    tree = data / "parquet" / "options"
    by_pandas = pd.read_parquet(tree)
    assert len(by_pandas) == 20 and set(by_pandas["source"]) == {"bhavcopy"}
    counted = duckdb.connect().execute(
        f"select count(*), min(iv) > 0 from read_parquet('{tree}/**/*.parquet', hive_partitioning = true) "
        "where source = 'bhavcopy' and index = 'NIFTY' and date = DATE '2026-01-05'").fetchall()
    assert counted == [(20, True)]
    overview_tree = data / "parquet" / "overview"
    exposure = duckdb.connect().execute(
        f"select source, gex_this_week, dex_this_week, iv_history_source_this_week from "
        f"read_parquet('{overview_tree}/**/*.parquet', hive_partitioning = true) where index = 'NIFTY'").fetchall()
    assert exposure == [("bhavcopy", overview["gex_this_week"].iloc[0], overview["dex_this_week"].iloc[0], "")]
    assert overview["gex_this_week"].notna().all()  # the first day: no history yet ('' source), exposure known
    assert (data / "g6_data" / "NIFTY" / "this_week" / "0" / "2026-01-05.csv").exists()
    assert not (data / "parquet" / "options" / "date=2026-01-05" / "BANKNIFTY").exists()  # not configured


def test_a_second_import_changes_nothing(nifty: tuple[Path, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _, data = nifty
    path = bhavcopy(tmp_path / "in", MONDAY)
    assert main(["import-bhavcopy", str(path)]) == 0
    sealed = data / "parquet" / "options" / "date=2026-01-05" / "NIFTY" / "day.parquet"
    before = sealed.read_bytes()
    capsys.readouterr()
    assert main(["import-bhavcopy", str(path)]) == 0
    assert "2026-01-05 NIFTY already imported: holds this bhavcopy day; left alone" in capsys.readouterr().out
    assert sealed.read_bytes() == before


def test_collected_data_is_never_overwritten_and_simulated_only_when_asked(
    nifty: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = nifty
    location = DataLocation(data)
    ParquetSink(location).write_minute(make_chain("NIFTY", minute(MONDAY, "1000"), provider="kite"))
    ParquetSink(location).write_day([make_chain("NIFTY", minute(TUESDAY, "1000"), provider="synthetic")])
    folder = tmp_path / "in"
    for day in (MONDAY, TUESDAY):
        bhavcopy(folder, day)
    assert main(["import-bhavcopy", str(folder)]) == 1
    captured = capsys.readouterr()
    assert "g6 import-bhavcopy: 2026-01-05 NIFTY refused: holds collected data (1 minute of kite); never overwritten" in captured.err
    assert "2026-01-06 NIFTY kept: holds simulated data (1 minute of synthetic); --replace-simulated replaces it" in captured.out
    assert set(load_chain(MONDAY, "NIFTY", data_dir=str(data))["source"]) == {"kite"}
    assert set(load_chain(TUESDAY, "NIFTY", data_dir=str(data))["source"]) == {"synthetic"}
    assert main(["import-bhavcopy", str(folder), "--start", "2026-01-06", "--replace-simulated"]) == 0
    assert "day×index: 1 replaced" in capsys.readouterr().out
    assert set(load_chain(TUESDAY, "NIFTY", data_dir=str(data))["source"]) == {"bhavcopy"}


def test_a_day_held_only_in_the_classic_csv_or_the_influx_spool_is_refused_and_untouched(
    nifty: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = nifty
    location = DataLocation(data)
    csv = Path(location.classic_csv("NIFTY", "this_week", 0, MONDAY).path)
    csv.parent.mkdir(parents=True)
    fields = dict.fromkeys(CLASSIC_COLUMNS, "")
    fields.update(timestamp="05-01-2026 10:00:00", index="NIFTY", expiry_tag="this_week", expiry_date="2026-01-06",
                  offset="0", index_price="26010.5", atm="26000", strike="26000", ce="101.5", pe="92.25", tp="193.75")
    csv.write_text(",".join(CLASSIC_COLUMNS) + "\n" + ",".join(fields[c] for c in CLASSIC_COLUMNS) + "\n")
    spool = Path(location.influx_spool_dir().path)
    spool.mkdir(parents=True)
    at = int(datetime(2026, 1, 6, 10, 0, tzinfo=IST).timestamp())
    (spool / "points-1.lp").write_text(
        f"option_data,index=NIFTY,expiry=2026-01-13,type=CE,strike=26000 price=101.5,oi=1200 {at}\n")
    folder = tmp_path / "in"
    for day in (MONDAY, TUESDAY):
        bhavcopy(folder, day)
    before = file_hashes(data)
    assert main(["import-bhavcopy", str(folder), "--replace-simulated"]) == 1
    err = capsys.readouterr().err
    assert ("g6 import-bhavcopy: 2026-01-05 NIFTY refused: holds collected data (1 minute of unknown source in "
            "classic CSV); never overwritten") in err
    assert ("g6 import-bhavcopy: 2026-01-06 NIFTY refused: holds collected data (1 Influx point spooled (source "
            "unknown)); never overwritten") in err
    assert file_hashes(data) == before


def test_iv_rank_of_a_day_rests_on_the_days_imported_before_it(nifty: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = nifty
    platform = json.loads((config / "platform_config.json").read_text())
    (config / "platform_config.json").write_text(json.dumps(platform | {"analytics": {"iv_rank_min_sessions": 1}}))
    folder = tmp_path / "in"
    for day, vol in ((MONDAY, 0.10), (TUESDAY, 0.14), (WEDNESDAY, 0.12)):
        bhavcopy(folder, day, vol)
    assert main(["import-bhavcopy", str(folder)]) == 0
    closes = [float(load_overview(d, "NIFTY", data_dir=str(data))["atm_iv_next_week"].iloc[0])
              for d in (MONDAY, TUESDAY, WEDNESDAY)]
    last = load_overview(WEDNESDAY, "NIFTY", data_dir=str(data)).iloc[0]
    assert last["iv_history_next_week"] == 2 and last["iv_rank_status_next_week"] == "ok"
    assert last["iv_history_source_next_week"] == "bhavcopy"  # the history it rests on: the days imported before it
    low, high = min(closes[:2]), max(closes[:2])
    assert last["iv_rank_next_week"] == pytest.approx(100 * (closes[2] - low) / (high - low), rel=1e-9)


def test_a_malformed_file_is_named_with_its_line(nifty: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    contracts = priced_chain(MONDAY, 26010.0, EXPIRIES, STRIKES, 0.12, 0.065, 65)
    rows = rows_of(MONDAY, "NIFTY", 25990.0, contracts, 65)
    rows[4]["SttlmPric"] = "n/a"
    path = tmp_path / "BhavCopy_NSE_FO_0_0_0_20260105_F_0000.csv"
    path.write_bytes(csv_bytes(rows))
    assert main(["import-bhavcopy", str(path)]) == 1
    assert f"g6 import-bhavcopy: {path} line 6: SttlmPric 'n/a' is not a number" in capsys.readouterr().err


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "archive"
    (root / "content" / "fo").mkdir(parents=True)
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root / "content" / "fo", f"http://127.0.0.1:{server.server_address[1]}/content/fo/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_downloads_the_range_and_reports_a_holiday(
    nifty: tuple[Path, Path], tmp_path: Path, archive: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = nifty
    served, url = archive
    for day in (MONDAY, WEDNESDAY):  # nothing for Tuesday, as for a holiday
        bhavcopy(served, day)
    folder = tmp_path / "downloads"
    assert main(["import-bhavcopy", str(folder), "--fetch", "--start", "2026-01-05", "--end", "2026-01-07",
                 "--base-url", f"NSE={url}"]) == 0
    out = capsys.readouterr().out
    assert f"NSE 2026-01-05 downloaded {nse_name(MONDAY)}" in out
    assert "NSE 2026-01-06 missing: no file (HTTP 404: a holiday, or not published yet)" in out
    assert "day×index: 2 imported" in out
    assert sorted(p.name for p in folder.iterdir()) == [nse_name(MONDAY), nse_name(WEDNESDAY)]
    assert len(load_chain(WEDNESDAY, "NIFTY", data_dir=str(data))) == 20


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fetch", "--start", "2026-01-05"], "--fetch needs --start and --end"),
        (["--index", "MIDCPNIFTY"], "unknown index MIDCPNIFTY (configured: NIFTY)"),
        (["--start", "2026-01-07", "--end", "2026-01-05"], "--end is before --start"),
        (["--base-url", "NYSE=http://x"], "--base-url 'NYSE=http://x': want NSE=URL or BSE=URL"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    nifty: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["import-bhavcopy", str(tmp_path), *argv]) == 2
    assert capsys.readouterr().err.strip() == f"g6 import-bhavcopy: {message}"


def _check_evaluations(instance: Any, asset: str) -> dict[tuple[str, str | None], Any]:
    """(check name, partition) → the latest evaluation reported for `asset`."""
    records = instance.get_event_records(dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    out = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.asset_key == dg.AssetKey(asset):
            out[(evaluation.check_name, evaluation.partition)] = evaluation
    return out


def test_an_imported_day_is_sealed_checked_and_recorded_with_its_file(
    nifty: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = nifty
    indices = json.loads((config / "indices_config.json").read_text())
    indices["BANKNIFTY"] = {"exchange": "NFO", "spot_key": "NSE:NIFTY BANK", "strikes_below": 2, "strikes_above": 2,
                            "expiry_tags": ["this_month"]}
    indices["SENSEX"] = {"exchange": "BFO", "spot_key": "BSE:SENSEX", "strikes_below": 2, "strikes_above": 2,
                         "expiry_tags": ["this_week"]}
    (config / "indices_config.json").write_text(json.dumps(indices))
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    folder = tmp_path / "in"
    bhavcopy(folder, MONDAY)
    # Tuesday's file lacks BANKNIFTY (incomplete); Wednesday's has a bad settlement price on line 6 (malformed)
    contracts = priced_chain(TUESDAY, 26010.0, EXPIRIES, STRIKES, 0.12, 0.065, 65)
    write_zip(folder / nse_name(TUESDAY), csv_bytes(rows_of(TUESDAY, "NIFTY", 25990.0, contracts, 65)))
    bad = rows_of(WEDNESDAY, "NIFTY", 25990.0, contracts, 65)
    bad[4]["SttlmPric"] = "n/a"
    write_zip(folder / nse_name(WEDNESDAY), csv_bytes(bad))
    assert main(["import-bhavcopy", str(folder)]) == 1
    captured = capsys.readouterr()
    assert f"{nse_name(TUESDAY)}: lacks BANKNIFTY" in captured.out
    assert f"{folder / nse_name(WEDNESDAY)} line 6: SttlmPric 'n/a' is not a number" in captured.err
    assert f"recorded in the Dagster instance at {home}" in captured.out

    record = json.loads(Path(DataLocation(data).seal_record_file("NIFTY", MONDAY).path).read_text())
    assert record["sources"] == ["bhavcopy"] and record["minutes"] == {"live": 1, "repaired": 0, "missing": 0}
    assert record["checks"]["completeness"]["passed"] is True
    assert record["checks"]["completeness"]["description"].startswith("1 of 1 session minutes collected")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        daily = {"2026-01-05|NIFTY", "2026-01-05|BANKNIFTY", "2026-01-06|NIFTY"}
        assert instance.get_materialized_partitions(dg.AssetKey("option_chain_daily")) == daily
        event = instance.get_latest_materialization_event(dg.AssetKey("option_chain_daily"))
        assert event is not None and event.asset_materialization is not None
        meta = event.asset_materialization.metadata
        assert meta["sources"].value == "bhavcopy" and meta["minutes_expected"].value == 1
        assert meta["written_by"].value == "g6 import-bhavcopy"
        day_checks = _check_evaluations(instance, "option_chain_daily")
        assert day_checks[("completeness", "2026-01-05|NIFTY")].passed
        files = _check_evaluations(instance, "bhavcopy_file")
        assert files[("readable", "2026-01-05|NSE")].passed and files[("complete", "2026-01-05|NSE")].passed
        assert files[("readable", "2026-01-06|NSE")].passed and not files[("complete", "2026-01-06|NSE")].passed
        assert files[("complete", "2026-01-06|NSE")].description == "lists NIFTY; lacks BANKNIFTY"
        malformed = files[("readable", "2026-01-07|NSE")]
        assert not malformed.passed and "line 6: SttlmPric 'n/a' is not a number" in (malformed.description or "")
        assert instance.get_materialized_partitions(dg.AssetKey("bhavcopy_file")) == {"2026-01-05|NSE",
                                                                                     "2026-01-06|NSE"}
