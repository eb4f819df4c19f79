"""Instrument dumps (download, per-day cache) and the chain universe of each index."""

from g6_pipeline.instruments.cache import InstrumentCache, dump_day
from g6_pipeline.instruments.dump import (
    DUMP_COLUMNS,
    OPTION_SEGMENTS,
    DumpError,
    dump_from_records,
    dump_to_csv,
    parse_dump_csv,
)
from g6_pipeline.instruments.universe import (
    IndexUniverse,
    UniverseError,
    build_universe,
    options_by_name,
    resolve_expiry_tags,
    select_options,
    strike_step,
    strike_window,
    strike_window_centre,
    tag_day,
)
from g6_pipeline.instruments.wings import total_vol_from_straddle, wing_levels, wing_window

__all__ = [
    "DUMP_COLUMNS",
    "OPTION_SEGMENTS",
    "DumpError",
    "IndexUniverse",
    "InstrumentCache",
    "UniverseError",
    "build_universe",
    "dump_day",
    "dump_from_records",
    "dump_to_csv",
    "options_by_name",
    "parse_dump_csv",
    "resolve_expiry_tags",
    "select_options",
    "strike_step",
    "strike_window",
    "strike_window_centre",
    "tag_day",
    "total_vol_from_straddle",
    "wing_levels",
    "wing_window",
]
