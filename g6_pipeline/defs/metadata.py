"""What the asset pages show: the column schema from the one schema, close-of-day numbers Dagster plots across
partitions, and a preview of the day's closing chain around the money."""

from __future__ import annotations

from datetime import date
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa

from g6_pipeline.core.schema import OPTION_SCHEMA, OVERVIEW_SCHEMA
from g6_pipeline.history.quality import DayCheck
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import OPTIONS, OVERVIEW
from g6_pipeline.storage.reader import read_edge_minute
from g6_pipeline.util.numeric import finite_or_none

OWNERS = ["team:g6"]
"""Who answers for G6's data assets."""
TAGS = {"domain": "options", "market": "india"}
"""Tags every G6 data asset carries (filterable in the asset catalogue)."""
CLOSE_FIELDS = ("pcr", "atm_iv", "max_pain", "straddle")
"""Per-expiry overview fields reported at the close as numbers (`close_pcr`, …), so Dagster plots them."""
PREVIEW_STRIKES = 3
"""The closing-chain preview shows the ATM strike and this many strikes either side."""
_PREVIEW_COLUMNS = ["expiry_tag", "strike", "offset", "side", "last_price", "iv", "oi", "delta"]


def check_specs(asset: dg.AssetKey, checks: dict[str, DayCheck]) -> list[dg.AssetCheckSpec]:
    """The Dagster checks of `asset` from G6's own check definitions (name, description, blocking)."""
    return [dg.AssetCheckSpec(name, asset=asset, description=c.description, blocking=c.blocking)
            for name, c in checks.items()]


def check_severity(check: DayCheck) -> dg.AssetCheckSeverity:
    """ERROR for a blocking check (red, keeps what depends on it from running), WARN for the others."""
    return dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    """A Dagster table schema with one column per field of an Arrow schema (name and Arrow type)."""
    return dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema])


OPTION_TABLE_SCHEMA = table_schema(OPTION_SCHEMA)
OVERVIEW_TABLE_SCHEMA = table_schema(OVERVIEW_SCHEMA)


def table_metadata(rows: int, schema: dg.TableSchema) -> dict[str, Any]:
    """The standard `dagster/row_count` and `dagster/column_schema` entries."""
    return {"dagster/row_count": dg.MetadataValue.int(rows), "dagster/column_schema": schema}


def close_of_day(location: DataLocation, day: date, index: str, tag: str) -> dict[str, Any]:
    """Close PCR, ATM IV, max pain and straddle of one expiry tag at the day's last stored minute.

    A number that is not known (no stored minute, or not finite) is left out rather than plotted as zero.
    """
    wanted = [f"{name}_{tag}" for name in CLOSE_FIELDS]
    last = read_edge_minute(location, OVERVIEW, day, index, last=True, columns=wanted)
    values = last.to_pylist()[0] if last is not None and last.num_rows else {}
    out: dict[str, Any] = {"close_expiry_tag": tag}
    for name, column in zip(CLOSE_FIELDS, wanted, strict=True):
        value = finite_or_none(values.get(column))
        if value is not None:
            out[f"close_{name}"] = dg.MetadataValue.float(round(value, 4))
    if last is not None and last.num_rows:
        out["close_minute"] = last.column("timestamp")[0].as_py().strftime("%H:%M")
    return out


def closing_chain_preview(location: DataLocation, day: date, index: str, tag: str) -> dg.MetadataValue:
    """A Markdown table of the last stored minute's chain of one expiry tag: ATM ± `PREVIEW_STRIKES` strikes,
    calls on the left, puts on the right."""
    last = read_edge_minute(location, OPTIONS, day, index, last=True, columns=_PREVIEW_COLUMNS)
    if last is None or last.num_rows == 0:
        return dg.MetadataValue.md(f"No option rows stored for {index} on {day.isoformat()}.")
    frame = last.to_pandas()
    frame = frame[frame["expiry_tag"] == tag]
    nearest = frame.assign(distance=frame["offset"].abs()).sort_values(["distance", "strike"])["strike"]
    near = frame[frame["strike"].isin(nearest.drop_duplicates().head(2 * PREVIEW_STRIKES + 1))]
    header = "| CE LTP | CE IV % | CE OI | strike | PE LTP | PE IV % | PE OI |\n|---:|---:|---:|---:|---:|---:|---:|"
    lines = [f"**{index} {tag}, {day.isoformat()} {last.column('timestamp')[0].as_py():%H:%M}**", "", header]
    for strike, legs in near.groupby("strike", sort=True):
        ce, pe = _leg(legs, "CE"), _leg(legs, "PE")
        atm = " (ATM)" if int(legs["offset"].iloc[0]) == 0 else ""
        lines.append(f"| {ce[0]} | {ce[1]} | {ce[2]} | **{float(strike):,.0f}**{atm} | {pe[0]} | {pe[1]} | {pe[2]} |")
    return dg.MetadataValue.md("\n".join(lines))


def _leg(legs: pd.DataFrame, side: str) -> tuple[str, str, str]:
    """(last price, IV %, OI) of one side of a strike, formatted; '–' where not quoted or not known."""
    row = legs[legs["side"] == side]
    if row.empty:
        return ("–", "–", "–")
    price, iv, oi = (finite_or_none(row[c].iloc[0]) for c in ("last_price", "iv", "oi"))
    return (
        "–" if price is None else f"{price:,.2f}",
        "–" if iv is None else f"{100 * iv:.1f}",
        "–" if oi is None else f"{oi:,.0f}",
    )
