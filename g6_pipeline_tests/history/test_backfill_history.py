"""A backfilled day is the day the minute cycle would have collected, row for row and column for column, and a
second run writes the same bytes.

Changes are like-for-like: the day after a weekly expiry `this_week` is compared with the same contract's
previous close (yesterday's `next_week`), never with the expired one, and a leg's OI change with the same
trading symbol's previous close.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.collection.collector import Collector
from g6_pipeline.collection.cycle import run_cycle
from g6_pipeline.history.backfill import backfill_synthetic
from g6_pipeline.providers.factory import synthetic_market
from g6_pipeline.storage.reader import read_chain, read_overview
from g6_pipeline_tests.history.history import file_hashes, setup_of, small_config, stored_rows

OPTION_KEY = ["timestamp", "expiry_tag", "expiry", "strike", "side"]


def test_second_run_writes_the_same_bytes_and_day_changes_are_filled(tmp_path: Path) -> None:
    config = small_config(tmp_path, "SENSEX")
    data = tmp_path / "data"
    first = backfill_synthetic(setup_of(config), date(2026, 11, 19), date(2026, 11, 20))
    assert [o.outcome for o in first.outcomes] == ["generated", "generated"]
    before = file_hashes(data)

    again = backfill_synthetic(setup_of(config), date(2026, 11, 19), date(2026, 11, 20))
    assert [o.outcome for o in again.outcomes] == ["kept", "kept"]
    assert "holds simulated data (375 minutes of synthetic)" in again.outcomes[0].message
    assert file_hashes(data) == before

    replaced = backfill_synthetic(setup_of(config), date(2026, 11, 19), date(2026, 11, 20), replace=True)
    assert [o.outcome for o in replaced.outcomes] == ["replaced", "replaced"]
    assert file_hashes(data) == before

    overview = read_overview(setup_of(config).location, date(2026, 11, 20), "SENSEX")
    assert np.isnan(overview["index_day_change"].iloc[0])  # the open is not known before the first minute
    later = overview.iloc[1:]
    np.testing.assert_allclose(
        later["index_day_change"], later["index_price"] - overview["index_price"].iloc[0], rtol=0, atol=1e-9
    )
    assert later["straddle_day_change_this_week"].notna().all()


def _collect_by_cycle(config: Path, day: date) -> None:
    setup = setup_of(config)
    collector = Collector.from_setup(setup)
    collector.publishers = []
    for minute in setup.calendar.session_minutes(day):
        run_cycle(collector, minute)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("index", "previous", "day"),
    [
        ("SENSEX", date(2026, 11, 19), date(2026, 11, 20)),  # Thursday's weekly expiry, then Friday
        ("NIFTY", date(2026, 11, 23), date(2026, 11, 25)),  # Tuesday 24th is a holiday (expiry moved to Monday)
    ],
)
def test_backfilled_day_equals_the_day_collected_by_the_cycle(
    tmp_path: Path, index: str, previous: date, day: date
) -> None:
    backfilled, collected = small_config(tmp_path / "a", index), small_config(tmp_path / "b", index)
    backfill_synthetic(setup_of(backfilled), previous, day)
    backfill_synthetic(setup_of(collected), previous, previous)
    _collect_by_cycle(collected, day)

    a, b = setup_of(backfilled).location, setup_of(collected).location
    # every row and every column: the same strikes each minute (the live window, out to the wings), the same
    # quotes, analytics and full-chain PCR / max pain; only the wall-clock fetch time differs
    ours, theirs = stored_rows(read_chain(a, day, index), OPTION_KEY), stored_rows(read_chain(b, day, index), OPTION_KEY)
    assert theirs["timestamp"].nunique() == 375
    pd.testing.assert_frame_equal(ours[OPTION_KEY], theirs[OPTION_KEY])
    pd.testing.assert_frame_equal(ours, theirs)
    overview, collected_overview = (stored_rows(read_overview(x, day, index), ["timestamp"]) for x in (a, b))
    pd.testing.assert_frame_equal(overview, collected_overview)
    full_chain = [f"{name}_{tag}" for tag in ("this_week", "next_week")
                  for name in ("chain_pcr", "chain_pcr_volume", "chain_max_pain", "pcr_scope")]
    assert set(full_chain) <= set(overview.columns)
    assert (overview[[f"pcr_scope_{tag}" for tag in ("this_week", "next_week")]] == "full").all().all()
    assert overview[[c for c in full_chain if "scope" not in c]].notna().all().all()
    # the wings: more strikes than the configured ATM ± 2 on every minute
    assert (ours.groupby(["timestamp", "expiry_tag"]).size() > 2 * 5).all()
    # full chain: ΣPE OI ÷ ΣCE OI over every listed contract of the expiry, from the market's own quotes
    row = overview.iloc[100]
    listed = synthetic_market(setup_of(backfilled).settings, setup_of(backfilled).calendar)
    exchange = setup_of(backfilled).settings.indices[index].exchange
    dump = listed.instruments(exchange, day)
    chain = dump[(dump["name"] == index) & (dump["expiry"] == row["expiry_this_week"])
                 & dump["instrument_type"].isin(["CE", "PE"])]
    quotes = listed.quote([f"{exchange}:{s}" for s in chain["tradingsymbol"]], row["timestamp"].to_pydatetime())
    oi = {side: sum(quotes[f"{exchange}:{s}"]["oi"] for s in chain.loc[chain["instrument_type"] == side, "tradingsymbol"])
          for side in ("CE", "PE")}
    assert row["chain_pcr_this_week"] == pytest.approx(oi["PE"] / oi["CE"], rel=1e-12)
    stored = ours[(ours["timestamp"] == row["timestamp"]) & (ours["expiry_tag"] == "this_week")]
    assert len(chain) > len(stored), "the chain is wider than the window"

    before, today = read_overview(a, previous, index), read_overview(a, day, index)
    assert before["expiry_this_week"].iloc[-1] == previous, "the previous day is a weekly expiry"
    rolled = today["expiry_this_week"].iloc[0]
    assert rolled == before["expiry_next_week"].iloc[-1]
    # like-for-like: yesterday's next_week is today's this_week; today's next_week has no base
    expected = today["straddle_this_week"] - before["straddle_next_week"].iloc[-1]
    np.testing.assert_allclose(today["straddle_net_change_this_week"], expected, rtol=0, atol=1e-9)
    assert today["straddle_net_change_next_week"].isna().all()

    chain, last = read_chain(a, day, index), read_chain(a, previous, index)
    last = last[last["timestamp"] == last["timestamp"].max()].drop_duplicates("tradingsymbol")
    merged = chain.merge(last[["tradingsymbol", "oi"]], on="tradingsymbol", how="left", suffixes=("", "_prev"))
    np.testing.assert_allclose(merged["oi_change"], merged["oi"] - merged["oi_prev"], rtol=0, atol=1e-9)
    listed_today = chain["expiry_tag"].eq("next_week")
    assert chain.loc[listed_today, "oi_change"].isna().all(), "a contract first listed today has no OI base"
    assert chain.loc[~listed_today, "oi_change"].notna().any(), "yesterday's next_week legs are the base"
