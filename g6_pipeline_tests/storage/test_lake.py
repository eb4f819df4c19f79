"""The lake as standard readers see it: pandas, pyarrow.dataset, DuckDB and polars over `parquet/<table>/`
return the rows `load_chain` returns, with its columns and types, for sealed and unsealed days alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from g6_pipeline.core.schema import OPTION_SCHEMA, OVERVIEW_SCHEMA
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import to_frame
from g6_pipeline_tests.storage.lake import INDICES, MIXED_DAY, SEALED_DAY, write_mixed_lake

KEY = ["timestamp", "index", "expiry_tag", "tradingsymbol"]


def _pandas_spelling(kind: pa.DataType, stored: pa.DataType) -> bool:
    """pandas has no type for an all-null column and spells an integer column with nulls as float."""
    return kind == pa.null() or (pa.types.is_floating(kind) and pa.types.is_integer(stored))


def _pandas(folder: str) -> pa.Table:
    """pandas' frame as a table of its own types: what `pandas.read_parquet` gave, column for column."""
    frame = pd.read_parquet(folder)
    assert isinstance(frame, pd.DataFrame)
    kinds = pa.Table.from_pandas(frame.head(0), preserve_index=False).schema  # pandas dtypes, any rows
    stored = pads.dataset(folder, partitioning="hive").schema
    schema = pa.schema([stored.field(n) if _pandas_spelling(kinds.field(n).type, stored.field(n).type)
                        else kinds.field(n) for n in frame.columns])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _pyarrow(folder: str) -> pa.Table:
    return pads.dataset(folder, partitioning="hive").to_table()


def _duckdb(folder: str) -> pa.Table:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Kolkata'")
    return con.sql(f"SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true)").to_arrow_table()


def _polars(folder: str) -> pa.Table:
    return pl.scan_parquet(f"{folder}/**/*.parquet", hive_partitioning=True).collect().to_arrow()


READERS: dict[str, Callable[[str], pa.Table]] = {
    "pandas": _pandas, "pyarrow": _pyarrow, "duckdb": _duckdb, "polars": _polars
}  # fmt: skip


def _logical(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with each library's spelling of a type made one: strings, dictionaries, timestamp units
    (each timestamp in the unit `schema` gives it)."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        if pa.types.is_timestamp(kind):
            assert kind.tz == "Asia/Kolkata", f"{field.name} is in {kind.tz}"
            unit = schema.field(field.name).type.unit if field.name in schema.names else "s"
            kind = pa.timestamp(unit, tz=kind.tz)
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def _expected(load: Callable[..., pd.DataFrame], data_dir: str) -> pd.DataFrame:
    frames = [load(day, index, data_dir=data_dir) for day in (SEALED_DAY, MIXED_DAY) for index in INDICES]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def lake(location: DataLocation) -> DataLocation:
    write_mixed_lake(location)
    return location


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize(("table", "schema", "load"), [
    ("options", OPTION_SCHEMA, load_chain), ("overview", OVERVIEW_SCHEMA, load_overview)
])  # fmt: skip
def test_every_reader_reads_the_rows_load_chain_returns(
    lake: DataLocation, reader: str, table: str, schema: pa.Schema, load: Callable[..., pd.DataFrame]
) -> None:
    expected = _expected(load, lake.root.path)
    got = _logical(READERS[reader](lake.table_root(table).path), schema)
    # the one partition key, `date`, comes last; every other column is the file's own, in the schema's order
    assert got.column_names == [*schema.names, "date"]
    days = {str(v)[:10] for v in got.column("date").to_pylist()}
    assert days == {SEALED_DAY.isoformat(), MIXED_DAY.isoformat()}
    stamps = pd.DatetimeIndex(got.column("timestamp").to_pandas())
    assert [str(v)[:10] for v in got.column("date").to_pylist()] == [d.isoformat() for d in stamps.date]
    files = got.drop_columns(["date"])
    assert files.schema.equals(schema), f"{reader}: {files.schema} differs from the {table} schema"
    key = KEY if table == "options" else ["timestamp", "index"]
    frame = to_frame(files.sort_by([(k, "ascending") for k in key]))  # pandas as load_chain converts
    want = expected.sort_values(key, ignore_index=True)
    assert len(frame) == len(want) == len(expected.drop_duplicates(key))
    pd.testing.assert_frame_equal(frame, want)


def test_pandas_gives_load_chain_dtypes_but_the_timestamp_unit(lake: DataLocation) -> None:
    frame = pd.read_parquet(lake.table_root("options").path)
    chain = load_chain(MIXED_DAY, "NIFTY", data_dir=lake.root.path)
    assert isinstance(frame, pd.DataFrame)
    assert str(frame["timestamp"].dtype) == "datetime64[ms, Asia/Kolkata]"  # Parquet has no second unit
    assert str(chain["timestamp"].dtype) == "datetime64[s, Asia/Kolkata]"
    same = frame.drop(columns=["timestamp", "date", "stale"]).dtypes
    assert same.to_dict() == chain.drop(columns=["timestamp", "stale"]).dtypes.to_dict()
    assert str(chain["stale"].dtype) == "boolean"  # nullable, whether or not the day holds a null


def test_a_sealed_partition_holds_one_file_and_kept_slices_stay_outside(lake: DataLocation) -> None:
    tree = Path(lake.table_root("options").path)
    files = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    assert files == [
        "date=2026-11-20/NIFTY/day.parquet",
        "date=2026-11-20/SENSEX/day.parquet",
        "date=2026-11-23/NIFTY/day.parquet",
        "date=2026-11-23/SENSEX/0915.parquet",
        "date=2026-11-23/SENSEX/0916.parquet",
        "date=2026-11-23/SENSEX/0917.parquet",
    ]
    raw = lake.raw_dir("options", MIXED_DAY, "NIFTY")
    assert lake.minute_slice_names(raw) == ["0915.parquet", "0916.parquet", "0917.parquet"]
    assert not (Path(lake.root.path) / "parquet" / "_staging").exists() or not list(
        (Path(lake.root.path) / "parquet" / "_staging").rglob("*.parquet")
    )


def test_the_minute_rewritten_after_the_seal_is_read_once_with_its_new_values(lake: DataLocation) -> None:
    con = duckdb.connect()
    folder = lake.table_root("options").path
    rows = con.execute(
        f"SELECT count(*), min(index_price), max(index_price) FROM read_parquet('{folder}/**/*.parquet', "
        "hive_partitioning = true) WHERE index = 'NIFTY' AND date = DATE '2026-11-23' "
        "AND strftime(timezone('Asia/Kolkata', timestamp), '%H%M') = '0916'"
    ).fetchall()
    per_minute = len(load_chain(date(2026, 11, 23), "NIFTY", data_dir=lake.root.path)) // 3
    assert rows == [(per_minute, 1_000.0, 1_000.0)]


def _readme_block(starts_with: str) -> str:
    text = (Path(__file__).resolve().parents[2] / "g6_pipeline" / "storage" / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    (block,) = [b for b in blocks if b.startswith(starts_with)]
    return block


def test_the_readme_snippets_read_the_lake(
    lake: DataLocation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = lake.root.path
    assert Path(data) == tmp_path / "data"  # the snippets' `data/`
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()  # a config folder beside the data: `data/` resolves next to it
    monkeypatch.setenv("G6_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("G6_DATA_DIR", raising=False)
    names: dict[str, Any] = {}
    exec(_readme_block("import duckdb"), names)
    total = len(_expected(load_chain, data))
    assert len(names["frame"]) == names["table"].num_rows == names["lazy"].collect().height == total
    assert len(names["nifty"]) == len(load_chain(MIXED_DAY, "NIFTY", data_dir=data))
    assert str(names["nifty"]["timestamp"].dt.tz) == "Asia/Kolkata"
    notebook = _readme_block("from g6_pipeline.data import")
    exec("\n".join(line for line in notebook.splitlines() if not line.startswith("master =")), names)
    assert len(names["chain"]) > 0
    assert set(names["month"]["timestamp"].dt.date) == {SEALED_DAY, MIXED_DAY}
    assert list(names["pcr"].columns) == ["timestamp", "index", "pcr_this_week"]
