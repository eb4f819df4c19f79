"""The synthetic market's calibration table: a backfilled month against the reference figures.

    .venv/bin/python benchmarks/synthetic_calibration.py [--start 2026-10-30] [--end 2026-11-30]

Runs `g6 backfill` over the days into a temporary data directory and reads the stored overview and option
Parquet back. Per index: the reference level and its date, the simulated range (first open, low, high, last
close), and at the close of each day the at-the-money strike's OI and volume in lots (call and put averaged)
of the nearest collected expiry, as the median over the days with its spread. Then the correlation of the
indices' daily and one-minute log returns. The output is the table in g6_pipeline/providers/synthetic/README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from g6_pipeline.providers.synthetic.specs import REFERENCE_DATE, SPECS

INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")
TAGS = ("this_week", "this_month")


def backfill(data_dir: Path, start: str, end: str) -> None:
    """`g6 backfill` of the days into `data_dir` (the repository's config, default settings)."""
    env = {**os.environ, "G6_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "g6_pipeline.cli.main", "backfill", "--start", start, "--end", end]
    subprocess.run(cmd, check=True, env=env, cwd=Path(__file__).parents[1], capture_output=True)


def read(data_dir: Path, table: str, index: str) -> pd.DataFrame:
    """Every stored day of one table and index."""
    files = sorted((data_dir / "parquet" / table).glob(f"date=*/index={index}/*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def atm_activity(options: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The nearest collected tag and, per day at the last minute, its ATM OI and volume in lots."""
    tag = next(t for t in TAGS if (options["expiry_tag"] == t).any())
    last = options.loc[(options["expiry_tag"] == tag)]
    last = last.loc[last["timestamp"] == last.groupby(last["timestamp"].dt.date)["timestamp"].transform("max")]
    atm = last.loc[last["strike"] == last["atm"]]
    lots = atm.assign(oi=atm["oi"] / atm["lot_size"], volume=atm["volume"] / atm["lot_size"])
    return tag, lots.groupby(lots["timestamp"].dt.date)[["oi", "volume"]].mean()


def spread(x: pd.Series) -> str:
    """Median and range of a daily series, in thousands of lots."""
    return f"{x.median() / 1e3:,.0f}k ({x.min() / 1e3:,.0f}k–{x.max() / 1e3:,.0f}k)"


def table(data_dir: Path) -> tuple[list[str], pd.DataFrame]:
    """The calibration rows and the minute prices of every index (for the correlations)."""
    rows = ["| index | reference (" + REFERENCE_DATE.isoformat() + ") | first open | low | high | last close "
            "| tag | ATM OI at close, lots | ATM day volume, lots |", "|" + "---|" * 9]
    prices = {}
    for name in INDICES:
        ov = read(data_dir, "overview", name).sort_values("timestamp")
        tag, act = atm_activity(read(data_dir, "options", name))
        px = ov["index_price"]
        rows.append(f"| {name} | {SPECS[name].reference_level:,.0f} | {px.iloc[0]:,.0f} | {px.min():,.0f} | "
                    f"{px.max():,.0f} | {px.iloc[-1]:,.0f} | {tag} | {spread(act['oi'])} | {spread(act['volume'])} |")
        prices[name] = ov.set_index("timestamp")["index_price"]
    return rows, pd.DataFrame(prices)


def correlations(prices: pd.DataFrame) -> list[str]:
    """Pairwise correlation of daily (close to close) and one-minute log returns, within sessions."""
    minute = np.log(prices).groupby(prices.index.date).diff().dropna()
    daily = np.log(prices.groupby(prices.index.date).last()).diff().dropna()
    out = ["| pair | daily returns | minute returns |", "|---|---|---|"]
    names = list(prices.columns)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            out.append(f"| {a}–{b} | {daily[a].corr(daily[b]):.2f} | {minute[a].corr(minute[b]):.2f} |")
    return out


def main() -> None:
    """Backfill the days and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2026-10-30")
    parser.add_argument("--end", default="2026-11-30")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backfill(Path(tmp), args.start, args.end)
        rows, prices = table(Path(tmp))
        days = len(set(prices.index.date))
        print(f"{days} trading days, {args.start} to {args.end}, seed 6\n")
        print("\n".join(rows) + "\n")
        print("\n".join(correlations(prices)))


if __name__ == "__main__":
    main()
