"""How G6 lays out a Parquet file: the write options of every file it writes, its row groups and its sort.

Minute slices, sealed days and backfilled days are all serialised by `parquet_bytes`, so they share one set of
write options (`write_options`):

- a float column whose values repeat (strikes, ATM, quantities, previous closes) keeps the dictionary encoding;
  any other float column (prices, IV, Greeks, OI, analytics) is written `BYTE_STREAM_SPLIT`, which groups the
  bytes of equal significance so zstd finds the runs in the sign, exponent and leading mantissa bytes. Both are
  lossless: every value reads back bit for bit (NaN payloads, -0.0, infinities, subnormals included).
- every other column keeps the dictionary encoding (strings, dates, integers, timestamps);
- statistics in every row group and a page index, and the sort (`sorting_columns`) recorded in the footer.

A sealed file is written sorted and cut into row groups that never straddle a change of its group keys (one
expiry of one tag) and hold at most `ROW_GROUP_ROWS` rows, so a filter on the expiry, the tag or a strike range
skips whole row groups by their statistics, in pyarrow, DuckDB and polars alike.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 16_384
"""The most rows a row group of a sealed file holds (an expiry of ~20 strikes × CE/PE × 375 minutes)."""
REPEAT_SAMPLE = 4_096
"""How many leading values of a float column decide its encoding."""
REPEAT_RATIO = 16
"""A float column repeats (keeps the dictionary) when its sample holds at most 1 distinct value in this many."""


def repeats(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether a column's leading values repeat enough for a dictionary to beat `BYTE_STREAM_SPLIT`."""
    sample = column.slice(0, REPEAT_SAMPLE)
    if len(sample) == 0:
        return True
    return pc.count_distinct(sample, mode="all").as_py() * REPEAT_RATIO <= len(sample)


def write_options(
    table: pa.Table, compression: str = "zstd", sort_keys: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """The `pyarrow.parquet.ParquetWriter` options of a G6 file holding `table` (sorted by `sort_keys`)."""
    split = [f.name for f in table.schema if pa.types.is_floating(f.type) and not repeats(table.column(f.name))]
    return {
        "compression": None if compression == "none" else compression,
        "use_dictionary": [n for n in table.schema.names if n not in split],
        "use_byte_stream_split": split,
        "write_statistics": True,
        "write_page_index": True,
        "sorting_columns": pq.SortingColumn.from_ordering(table.schema, list(sort_keys)) if sort_keys else None,
    }


def row_groups(table: pa.Table, group_keys: Sequence[str] = ()) -> list[tuple[int, int]]:
    """(offset, rows) of each row group: a new group wherever a group key changes (the table is sorted by them),
    and runs longer than `ROW_GROUP_ROWS` cut into equal parts."""
    if table.num_rows == 0:
        return []
    change = np.zeros(table.num_rows - 1, dtype=bool)
    for key in group_keys:
        codes = pc.dictionary_encode(table.column(key).combine_chunks()).indices.fill_null(-1)
        change |= np.diff(codes.to_numpy()) != 0
    starts = [0, *(np.flatnonzero(change) + 1).tolist()]
    groups: list[tuple[int, int]] = []
    for start, end in zip(starts, [*starts[1:], table.num_rows], strict=True):
        parts = math.ceil((end - start) / ROW_GROUP_ROWS)
        cuts = [start + (end - start) * k // parts for k in range(parts + 1)]
        groups.extend((a, b - a) for a, b in itertools.pairwise(cuts))
    return groups


def parquet_bytes(
    table: pa.Table,
    compression: str = "zstd",
    sort_keys: Sequence[tuple[str, str]] = (),
    group_keys: Sequence[str] = (),
) -> bytes:
    """`table` as one Parquet file in memory, with `write_options` and the row groups of `row_groups`.

    `sort_keys` is the order the table is already in (recorded, not applied)."""
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, table.schema, **write_options(table, compression, sort_keys)) as writer:
        groups = row_groups(table, group_keys)
        for offset, rows in groups:
            writer.write_table(table.slice(offset, rows), row_group_size=rows)
        if not groups:
            writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
