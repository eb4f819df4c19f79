"""The archive of Kite's instrument dumps: kept per exchange and day, read back as parsed, never rewritten."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.data import load_instruments
from g6_pipeline.instruments.cache import InstrumentCache
from g6_pipeline.instruments.dump import DUMP_COLUMNS, parse_dump_csv
from g6_pipeline.storage.instrument_archive import (
    DUMP_SCHEMA,
    archive_cached_dumps,
    archive_dump,
    archived_days,
    load_archived_dump,
    previous_archived_day,
)
from g6_pipeline.storage.location import DataLocation

NFO_CSV = b"""instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
12345602,48225,NIFTY2610625800CE,NIFTY,0,2026-01-06,25800,0.05,65,CE,NFO-OPT,NFO
12345858,48226,NIFTY2610625800PE,NIFTY,0,2026-01-06,25800,0.05,65,PE,NFO-OPT,NFO
13368066,52219,NIFTY26JANFUT,NIFTY,26105.5,2026-01-27,0,0.1,65,FUT,NFO-FUT,NFO
256265,,NIFTY 50,NIFTY 50,0,,0,0,1,EQ,INDICES,NSE
"""
DAY = date(2026, 1, 5)


def test_a_dump_is_read_back_exactly_as_parsed(tmp_path: Path) -> None:
    location = DataLocation(tmp_path)
    dump = parse_dump_csv(NFO_CSV)
    assert archive_dump(location, "NFO", DAY, dump)
    path = location.instrument_archive_file("NFO", DAY)
    assert path.path.endswith("instrument_archive/NFO/2026-01-05.parquet")
    back = load_archived_dump(location, "NFO", DAY)
    pd.testing.assert_frame_equal(back, dump)
    assert back["expiry"].tolist() == [date(2026, 1, 6), date(2026, 1, 6), date(2026, 1, 27), None]
    assert back["exchange_token"].isna().tolist() == [False, False, False, True]
    assert back["instrument_token"].dtype == "int64" and back["lot_size"].dtype == "int64"
    assert tuple(DUMP_SCHEMA.names) == DUMP_COLUMNS
    pd.testing.assert_frame_equal(load_instruments(DAY, "NFO", data_dir=str(tmp_path)), back)


def test_an_archived_day_is_never_rewritten(tmp_path: Path) -> None:
    location = DataLocation(tmp_path)
    assert archive_dump(location, "NFO", DAY, parse_dump_csv(NFO_CSV))
    before = location.read_bytes(location.instrument_archive_file("NFO", DAY))
    other = parse_dump_csv(NFO_CSV).iloc[:1]
    assert not archive_dump(location, "NFO", DAY, other)
    assert location.read_bytes(location.instrument_archive_file("NFO", DAY)) == before


def test_days_listed_and_the_previous_session(tmp_path: Path) -> None:
    location = DataLocation(tmp_path)
    for day in (date(2026, 1, 2), DAY, date(2026, 1, 7)):
        archive_dump(location, "NFO", day, parse_dump_csv(NFO_CSV))
    assert archived_days(location, "NFO") == [date(2026, 1, 2), DAY, date(2026, 1, 7)]
    assert archived_days(location, "BFO") == []
    assert previous_archived_day(location, "NFO", date(2026, 1, 7)) == DAY
    assert previous_archived_day(location, "NFO", date(2026, 1, 2)) is None
    with pytest.raises(FileNotFoundError, match="no BFO instrument dump archived for 2026-01-05"):
        load_instruments(DAY, "BFO", data_dir=str(tmp_path))


def test_the_cached_dumps_are_swept_into_the_archive(tmp_path: Path) -> None:
    location = DataLocation(tmp_path / "data")
    cache = InstrumentCache(tmp_path / "cache", keep_days=5)
    for day in (date(2026, 1, 2), DAY):
        cache.store("NFO", day, parse_dump_csv(NFO_CSV))
    (tmp_path / "cache" / DAY.isoformat() / "NFO.csv").write_bytes(b"corrupt")  # fails the cache's checksum
    assert cache.days() == [date(2026, 1, 2), DAY]
    assert archive_cached_dumps(location, cache) == [("NFO", date(2026, 1, 2))]
    assert archive_cached_dumps(location, cache) == []
    assert archived_days(location, "NFO") == [date(2026, 1, 2)]
