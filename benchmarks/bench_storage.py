"""Storage speed: one minute's write (Parquet + classic CSV), reading one full day and a range of days.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_storage.py [--repeat 5] [--range-only] [--footprint-only]
                                                              [--fold-only --fold-weeks 50]

Data: 4 indices × 4 expiry tags × ATM ± 20 strikes × CE/PE (1,312 legs a minute). The minute is written into
a day that already holds 374 minutes (the largest files of the day). Baselines, in the same run:
- write: `DataFrame.to_csv(mode="a")` of each series row + `DataFrame.to_parquet` per index (no atomicity,
  no duplicate handling);
- read: `pandas.read_parquet` of the day's 375 minute slices one by one, then `pandas.concat`;
- weekday master: `update_weekday_master` day by day in date order vs `update_range` over all days at once;
- range read: `load_chain_range` over 20 sealed days × 4 indices, 5 columns, vs a loop of `load_chain` calls
  and vs DuckDB's `read_parquet(.../**/*.parquet, hive_partitioning = true)` on the same files, both to pandas;
- weekday master fold: materialising one day of a weekday that has `--fold-weeks` sealed days (each day's
  aggregate is computed from its sealed file at fold time);
- footprint: bytes on disk per trading day of each store after `g6 backfill` of a few synthetic days with the
  repository's configuration (`config/`), and per year of 250 trading days.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from g6_pipeline.cli.main import main as g6_main
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.data import load_chain, load_chain_range
from g6_pipeline.history.weekday_master import update_range, update_weekday_master
from g6_pipeline.storage.classic_csv import ClassicCsvSink
from g6_pipeline.storage.classic_format import classic_timestamp, option_rows
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.parquet import ParquetSink, options_table, table_bytes
from g6_pipeline.storage.seal import seal_day
from g6_pipeline_tests.fakes.chains import STEPS, make_chain, minute

DAY = date(2026, 11, 23)
INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")
TAGS = ("this_week", "next_week", "this_month", "next_month")
MINUTES = 375
REPO_CONFIG = Path(__file__).resolve().parents[1] / "config"
CALENDAR = MarketCalendar.load(REPO_CONFIG)
TRADING_DAYS_A_YEAR = 250


def _shifted(chain: EnrichedChain, k: int) -> tuple[pd.DataFrame, dict[str, object]]:
    """The chain's rows moved k minutes later with slightly different prices."""
    options = chain.options.copy()
    options["timestamp"] = options["timestamp"] + pd.Timedelta(minutes=k)
    factor = 1 + 0.002 * np.sin(k / 7)
    for column in ("last_price", "bid", "ask", "average_price"):
        options[column] = np.round(options[column] * factor / 0.05) * 0.05
    overview = dict(chain.overview, timestamp=chain.overview["timestamp"] + timedelta(minutes=k))
    return options, overview


def _day_frames(chain: EnrichedChain, minutes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = [_shifted(chain, k) for k in range(minutes)]
    return pd.concat([p[0] for p in parts], ignore_index=True), pd.DataFrame([p[1] for p in parts])


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_minute_write(root: Path, repeat: int) -> tuple[float, float, float, float]:
    """(Parquet s, CSV s, CSV re-run s, naive s): each repeat writes a new minute at the end of a full day."""
    base = {ix: make_chain(ix, minute(DAY, "0915"), tags=TAGS, half_width=20) for ix in INDICES}
    location = DataLocation(root / "g6")
    naive_root = root / "naive"
    csv_sink, parquet_sink = ClassicCsvSink(location), ParquetSink(location)
    for ix, chain in base.items():
        options, overview = _day_frames(chain, MINUTES - repeat)
        csv_sink.write_day_frames(options, overview)
        rows = option_rows(options)
        rows["timestamp"] = classic_timestamp(rows["timestamp"])
        for (tag, off), group in rows.groupby(["expiry_tag", "offset"]):
            path = naive_root / ix / str(tag) / str(off) / "day.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            group.to_csv(path, index=False)
    new_minutes = []
    for k in range(MINUTES - repeat, MINUTES):
        shifted = [_shifted(chain, k) for chain in base.values()]
        new_minutes.append(
            [EnrichedChain(c.snapshot, o, v) for c, (o, v) in zip(base.values(), shifted, strict=True)]
        )
    minutes = iter(new_minutes)
    parquet_s = _median(lambda: parquet_sink.write(next(minutes)), repeat)
    minutes = iter(new_minutes)
    csv_s = _median(lambda: csv_sink.write(next(minutes)), repeat)
    last = new_minutes[-1]
    rerun_s = _median(lambda: csv_sink.write(last), 1)

    def naive() -> None:
        for chain in last:
            rows = option_rows(chain.options)
            rows["timestamp"] = classic_timestamp(rows["timestamp"])
            for (tag, off), group in rows.groupby(["expiry_tag", "offset"]):
                group.to_csv(
                    naive_root / chain.index / str(tag) / str(off) / "day.csv",
                    mode="a",
                    header=False,
                    index=False,
                )
            chain.options.to_parquet(naive_root / f"{chain.index}.parquet", compression="zstd")

    naive_s = _median(naive, 1)  # appends grow the files: one run only
    return parquet_s, csv_s, rerun_s, naive_s


def bench_load_day(root: Path, repeat: int) -> tuple[float, float, float, int]:
    """(load_chain sealed s, load_chain from slices s, naive s, rows) for one full day of NIFTY."""
    chain = make_chain("NIFTY", minute(DAY, "0915"), tags=TAGS, half_width=20)
    data_dir = str(root / "read")  # what a notebook passes
    location = DataLocation(data_dir)
    for k in range(MINUTES):
        options, _ = _shifted(chain, k)
        location.write_atomic(
            location.minute_slice("options", DAY, "NIFTY", options["timestamp"].iloc[0]),
            table_bytes(options_table(options)),
        )
    folder = location.table_dir("options", DAY, "NIFTY")
    slices = [Path((folder / name).path) for name in location.minute_slice_names(folder)]
    naive_s = _median(lambda: pd.concat([pd.read_parquet(p) for p in slices], ignore_index=True), repeat)
    from_slices_s = _median(lambda: load_chain(DAY, "NIFTY", data_dir=data_dir), repeat)
    seal_day(location, DAY, "NIFTY", MINUTES)
    rows = len(load_chain(DAY, "NIFTY", data_dir=data_dir))
    sealed_s = _median(lambda: load_chain(DAY, "NIFTY", data_dir=data_dir), repeat)
    return sealed_s, from_slices_s, naive_s, rows


def bench_weekday_master(root: Path, days: int) -> tuple[float, float, float]:
    """(write_day s per index-day, update_range s, day-by-day s) for `days` trading days of NIFTY."""
    chain = make_chain("NIFTY", minute(DAY, "0915"), tags=TAGS, half_width=20)
    options, overview = _day_frames(chain, MINUTES)
    trading = [d for d in (DAY - timedelta(days=k) for k in range(days * 2)) if d.weekday() < 5][:days]
    ranged, stepwise = DataLocation(root / "wm-range"), DataLocation(root / "wm-step")
    start = time.perf_counter()
    for d in trading:
        shift = pd.Timedelta(days=(d - DAY).days)
        moved_options = options.assign(timestamp=options["timestamp"] + shift)
        moved_overview = overview.assign(timestamp=overview["timestamp"] + shift)
        for loc in (ranged, stepwise):
            ParquetSink(loc).write_day_frames(moved_options, moved_overview)
    write_s = (time.perf_counter() - start) / (2 * days)
    start = time.perf_counter()
    update_range(ranged, trading, "NIFTY", 0.5, CALENDAR)
    range_s = time.perf_counter() - start
    start = time.perf_counter()
    for d in sorted(trading):
        update_weekday_master(stepwise, d, "NIFTY", 0.5, CALENDAR)
    step_s = time.perf_counter() - start
    return write_s, range_s, step_s


def bench_weekday_fold(root: Path, weeks: int, repeat: int) -> tuple[float, float]:
    """(update_range s over `weeks` Mondays of NIFTY, then s (median) to materialise the last Monday again):
    a weekday of about a year, every day's aggregate read from its sealed file."""
    chain = make_chain("NIFTY", minute(DAY, "0915"), tags=TAGS, half_width=20)
    options, overview = _day_frames(chain, MINUTES)
    monday = DAY - timedelta(days=DAY.weekday())
    mondays = sorted(monday - timedelta(weeks=k) for k in range(weeks))
    location = DataLocation(root / "wm-fold")
    for d in mondays:
        shift = pd.Timedelta(days=(d - DAY).days)
        ParquetSink(location).write_day_frames(
            options.assign(timestamp=options["timestamp"] + shift),
            overview.assign(timestamp=overview["timestamp"] + shift),
        )
    start = time.perf_counter()
    update_range(location, mondays, "NIFTY", 0.5, CALENDAR)
    range_s = time.perf_counter() - start
    return range_s, _median(lambda: update_weekday_master(location, mondays[-1], "NIFTY", 0.5, CALENDAR), repeat)


RANGE_COLUMNS = ["timestamp", "strike", "side", "iv", "last_price"]
FILTER_INDEX, FILTER_TAG, FILTER_STEPS = "NIFTY", "this_month", 5
"""The filtered read: one index, one expiry (the this_month contract of the chains), ATM ± 5 strikes."""


def _trading_days(days: int) -> list[date]:
    return sorted(d for d in (DAY - timedelta(days=k) for k in range(days * 2)) if d.weekday() < 5)[-days:]


def _race(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each contender, run in turn `repeat` times, each round starting with the next one (a
    change of load, or what the previous reader left in memory, hits them all alike)."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(repeat):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(spent) for name, spent in times.items()}


def _rows(result: object) -> int:
    return result.num_rows if isinstance(result, pa.Table) else len(result)  # type: ignore[arg-type]


def write_range_lake(root: Path, days: int) -> str:
    """`days` sealed trading days × 4 indices written by `ParquetSink.write_day_frames`; returns the data dir."""
    data_dir = str(root / "range")
    sink = ParquetSink(DataLocation(data_dir))
    for ix in INDICES:
        options, overview = _day_frames(make_chain(ix, minute(DAY, "0915"), tags=TAGS, half_width=20), MINUTES)
        for d in _trading_days(days):
            shift = pd.Timedelta(days=(d - DAY).days)
            sink.write_day_frames(
                options.assign(timestamp=options["timestamp"] + shift),
                overview.assign(timestamp=overview["timestamp"] + shift),
            )
    return data_dir


def bench_range(data_dir: str, days: int, repeat: int) -> dict[str, dict[str, float]]:
    """Seconds (median) of reading the last `days` sealed days, 5 columns: all rows (G6, polars to pandas, DuckDB,
    a load_chain loop) and one index, one expiry and a strike range (G6, DuckDB, polars)."""
    trading = _trading_days(days)
    first, last = trading[0], trading[-1]
    chain = make_chain(FILTER_INDEX, minute(DAY, "0915"), tags=TAGS, half_width=20)
    expiry = chain.options.loc[chain.options["expiry_tag"] == FILTER_TAG, "expiry"].iloc[0]
    atm, step = float(chain.options["atm"].iloc[0]), STEPS[FILTER_INDEX]
    low, high = atm - FILTER_STEPS * step, atm + FILTER_STEPS * step
    glob = f"{data_dir}/parquet/options/**/*.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Kolkata'")
    dates = f"date BETWEEN DATE '{first}' AND DATE '{last}'"
    sql = f"SELECT {', '.join(RANGE_COLUMNS)} FROM read_parquet('{glob}', hive_partitioning = true) WHERE {dates}"
    narrow = f"{sql} AND index = '{FILTER_INDEX}' AND expiry = DATE '{expiry}' AND strike BETWEEN {low} AND {high}"
    scan = pl.scan_parquet(glob, hive_partitioning=True).filter(pl.col("date").is_between(first, last))
    polars_narrow = scan.filter(
        (pl.col("index") == FILTER_INDEX) & (pl.col("expiry") == expiry) & pl.col("strike").is_between(low, high)
    )

    def g6() -> pd.DataFrame:
        return load_chain_range(first, last, columns=RANGE_COLUMNS, data_dir=data_dir)

    def g6_narrow() -> pd.DataFrame:
        return load_chain_range(
            first, last, [FILTER_INDEX], columns=RANGE_COLUMNS, data_dir=data_dir, expiries=expiry, strikes=(low, high)
        )

    def loop() -> pd.DataFrame:
        frames = [load_chain(d, ix, columns=RANGE_COLUMNS, data_dir=data_dir) for d in trading for ix in INDICES]
        return pd.concat(frames, ignore_index=True)

    full = {
        "G6 load_chain_range": g6,
        "polars to pandas": lambda: scan.select(RANGE_COLUMNS).collect().to_pandas(),
        "DuckDB to pandas": lambda: con.execute(sql).df(),
        "DuckDB to Arrow": lambda: con.sql(sql).to_arrow_table(),
        "loop of load_chain": loop,
    }
    filtered = {
        "G6 load_chain_range": g6_narrow,
        "DuckDB to pandas": lambda: con.execute(narrow).df(),
        "DuckDB to Arrow": lambda: con.sql(narrow).to_arrow_table(),
        "polars to pandas": lambda: polars_narrow.select(RANGE_COLUMNS).collect().to_pandas(),
    }
    rows = {"all": len(g6()), "filtered": len(g6_narrow())}
    for name, contenders in (("all", full), ("filtered", filtered)):
        counts = {_rows(run()) for run in contenders.values()}
        assert counts == {rows[name]}, f"{name}: the readers disagree on the rows: {counts}"
    return {
        "all": {"rows": rows["all"], **_race(full, repeat)},
        "filtered": {"rows": rows["filtered"], **_race(filtered, repeat)},
    }


def print_range(result: dict[str, dict[str, float]], days: int, repeat: int) -> None:
    """Print the range-read times and each baseline's ratio (baseline ÷ G6: 1.00 or more meets the goal)."""
    what = {
        "all": f"all rows, {len(INDICES)} indices",
        "filtered": f"{FILTER_INDEX}, its {FILTER_TAG} expiry, ATM ± {FILTER_STEPS} strikes",
    }
    for name, times in result.items():
        g6 = times["G6 load_chain_range"]
        print(f"range read, {days} sealed days, {what[name]}, {len(RANGE_COLUMNS)} columns "
              f"({int(times['rows'])} rows, median of {repeat}; ratio = baseline ÷ G6):")  # fmt: skip
        for reader, seconds in times.items():
            if reader == "rows":
                continue
            ratio = "" if seconds is g6 else f"   ratio {seconds / g6:5.2f}x"
            print(f"  {reader:22s} {seconds * 1000:8.1f} ms{ratio}")


def _tree_bytes(folder: Path, skip: tuple[str, ...] = ()) -> int:
    return sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file() and not any(s in p.parts for s in skip)
    )


def bench_footprint(root: Path, days: int) -> tuple[list[date], dict[str, int]]:
    """Bytes of each store after `g6 backfill` of the last `days` trading days before DAY (repository config)."""
    config, data = root / "footprint-config", root / "footprint-data"
    shutil.copytree(REPO_CONFIG, config)
    (config / "platform_config.json").write_text(f'{{"data_dir": "{data}"}}')
    trading = CALENDAR.trading_days(DAY - timedelta(days=3 * days + 10), DAY - timedelta(days=1))[-days:]
    saved = {k: os.environ.pop(k) for k in ("G6_DATA_DIR", "G6_PROVIDER", "DAGSTER_HOME") if k in os.environ}
    os.environ["G6_CONFIG_DIR"] = str(config)
    try:
        assert g6_main(["backfill", "--start", trading[0].isoformat(), "--end", trading[-1].isoformat()]) == 0
    finally:
        os.environ.pop("G6_CONFIG_DIR")
        os.environ.update(saved)
    master = data / "weekday_master"
    sizes = {
        "option Parquet": _tree_bytes(data / "parquet" / "options"),
        "overview Parquet": _tree_bytes(data / "parquet" / "overview"),
        "classic CSV (per-strike + overview)": _tree_bytes(data / "g6_data"),
        "weekday master day records (_days/)": _tree_bytes(master / "_days"),
        "weekday master quality reports": _tree_bytes(master / "_quality"),
        "weekday master CSV": _tree_bytes(master, skip=("_days", "_quality")),
    }
    return trading, sizes


def _megabytes(size: float) -> str:
    """`13.8 MB`, or `0.3 kB` below 0.1 MB."""
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def print_footprint(trading: list[date], sizes: dict[str, int]) -> None:
    """Print the footprint table (Markdown): per trading day and per year for what grows, the master once."""
    days = len(trading)
    print(f"footprint, `g6 backfill --start {trading[0]} --end {trading[-1]}` ({days} trading days, config/):\n")
    print("| store | per trading day | per year (250 days) |")
    print("|---|---:|---:|")
    growing = {k: v for k, v in sizes.items() if k != "weekday master CSV"}
    for name, size in growing.items():
        per_day = size / days
        print(f"| {name} | {_megabytes(per_day)} | {per_day * TRADING_DAYS_A_YEAR / 1e9:.2f} GB |")
    total = sum(growing.values()) / days
    print(f"| **all that grows** | **{total / 1e6:.1f} MB** | **{total * TRADING_DAYS_A_YEAR / 1e9:.2f} GB** |")
    master = sizes["weekday master CSV"] / 1e6
    print(f"| weekday master CSV (one file per series and weekday: full after a week, then constant) "
          f"| {master:.0f} MB in all | {master:.0f} MB in all |")  # fmt: skip


def main() -> None:
    """Run the benchmarks and print times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--days", type=int, default=20, help="trading days of the weekday master")
    parser.add_argument("--range-days", type=int, nargs="+", default=[20, 60], help="trading days of the range reads")
    parser.add_argument("--range-only", action="store_true", help="only the range read")
    parser.add_argument("--footprint-only", action="store_true", help="only the bytes on disk per day")
    parser.add_argument("--footprint-days", type=int, default=5, help="trading days backfilled for the footprint")
    parser.add_argument("--fold-only", action="store_true", help="only the weekday master fold of --fold-weeks")
    parser.add_argument("--fold-weeks", type=int, default=50, help="days of one weekday folded (--fold-only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="g6-bench-") as tmp:
        root = Path(tmp)
        if args.fold_only:
            range_s, day_s = bench_weekday_fold(root, args.fold_weeks, args.repeat)
            print(f"weekday master fold, {args.fold_weeks} Mondays of NIFTY (164 series × 375 minutes a day):")
            print(f"  update_range, all of them            {range_s:7.2f} s")
            print(f"  materialise the last Monday again    {day_s:7.2f} s   (median of {args.repeat})")
            return
        if not args.range_only:
            print_footprint(*bench_footprint(root, args.footprint_days))
        if args.footprint_only:
            return
        data_dir = write_range_lake(root, max(args.range_days))
        for days in args.range_days:
            print_range(bench_range(data_dir, days, args.repeat), days, args.repeat)
        if args.range_only:
            return
        parquet_s, csv_s, rerun_s, naive_s = bench_minute_write(root, args.repeat)
        legs = len(INDICES) * len(TAGS) * 41 * 2
        print(f"minute write, {legs} legs at the end of a {MINUTES}-minute day (median of {args.repeat}):")
        print(f"  Parquet slices          {parquet_s * 1000:7.1f} ms")
        print(f"  classic CSV             {csv_s * 1000:7.1f} ms")
        print(f"  Parquet + CSV           {(parquet_s + csv_s) * 1000:7.1f} ms   (cycle budget 250 ms)")
        print(
            f"  naive pandas baseline   {naive_s * 1000:7.1f} ms   ratio {naive_s / (parquet_s + csv_s):.1f}x"
        )
        print(
            f"  classic CSV, re-run of the same minute (replaces 656 rows in place) {rerun_s * 1000:7.1f} ms"
        )
        sealed_s, slices_s, naive_read_s, rows = bench_load_day(root, args.repeat)
        print(f"load_chain, one full day of NIFTY ({rows} rows, median of {args.repeat}):")
        print(f"  sealed day file         {sealed_s * 1000:7.1f} ms   (budget 500 ms)")
        print(f"  from {MINUTES} minute slices  {slices_s * 1000:7.1f} ms")
        print(
            f"  naive read_parquet loop {naive_read_s * 1000:7.1f} ms   ratio {naive_read_s / sealed_s:.1f}x vs sealed"
        )
        write_s, range_s, step_s = bench_weekday_master(root, args.days)
        print(f"weekday master backfill, {args.days} full days of NIFTY (164 series × 375 minutes a day):")
        print(f"  write_day (sealed Parquet) per day   {write_s * 1000:7.1f} ms")
        print(f"  update_range, one run                {range_s:7.2f} s")
        print(f"  update_weekday_master day by day     {step_s:7.2f} s   ratio {step_s / range_s:.1f}x")


if __name__ == "__main__":
    main()
