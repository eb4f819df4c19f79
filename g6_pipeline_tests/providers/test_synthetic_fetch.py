"""The synthetic provider's array path against the Kite item path, the per-day universe reuse, minute after minute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import ProviderStats
from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.instruments import dump_day, strike_window_centre
from g6_pipeline.providers import ChainProvider
from g6_pipeline.providers.chain_legs import expiry_centres
from g6_pipeline.providers.quotes import QUOTE_COLUMNS, QuoteTable, parse_quote
from g6_pipeline.providers.sources import SyntheticSource
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket
from g6_pipeline.settings.model import IndexSettings

MINUTES = [
    datetime(2026, 11, 19, 9, 15, tzinfo=IST),  # session open
    datetime(2026, 11, 19, 12, 41, tzinfo=IST),
    datetime(2026, 11, 19, 15, 29, tzinfo=IST),  # last session minute
    datetime(2026, 11, 19, 22, 10, tzinfo=IST),  # after the close
    datetime(2026, 11, 20, 7, 30, tzinfo=IST),  # before the next open
    datetime(2026, 11, 24, 10, 0, tzinfo=IST),  # an expiry day
]


def all_indices(strikes: int = 20) -> dict[str, IndexSettings]:
    """The four indices with every expiry tag and ±`strikes` strikes."""
    return {
        name: IndexSettings(exchange=spec.exchange, spot_key=spec.spot_key, strikes_below=strikes,  # type: ignore[arg-type]
                            strikes_above=strikes, expiry_tags=list(EXPIRY_TAGS))
        for name, spec in SPECS.items()
    }


def option_keys(market: SyntheticMarket, day: date) -> list[str]:
    """Every option listed in the dump of `day`, as quote keys."""
    keys: list[str] = []
    for exchange in ("NFO", "BFO"):
        dump = market.instruments(exchange, day)
        opts = dump.loc[dump["instrument_type"].isin(["CE", "PE"]), "tradingsymbol"]
        keys.extend(f"{exchange}:{s}" for s in opts)
    return keys


class ItemsOnly:
    """The synthetic source without its array path: every quote goes through Kite items and `parse_quote`."""

    max_batch = SyntheticSource.max_batch

    def __init__(self, market: SyntheticMarket, drop: frozenset[str] = frozenset()) -> None:
        self.inner = SyntheticSource(market)
        self.drop = drop

    def begin(self, stats: ProviderStats) -> None:
        self.inner.begin(stats)

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        return self.inner.instruments(exchange, day)

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        return {k: v for k, v in self.inner.quote(keys, now).items() if k not in self.drop}


class Dropping(ItemsOnly):
    """The array path with some option keys left out of the answer."""

    def quote_table(self, keys: Sequence[str], now: datetime) -> QuoteTable:
        table = self.inner.quote_table(keys, now)
        keep = [i for i, k in enumerate(table.keys) if k not in self.drop]
        return QuoteTable([table.keys[i] for i in keep], {f: v[keep] for f, v in table.fields.items()})


@pytest.mark.parametrize("at", MINUTES, ids=lambda m: m.strftime("%d-%H%M"))
def test_columns_equal_parsed_items(market: SyntheticMarket, at: datetime) -> None:
    listed = option_keys(market, dump_day(at))
    keys = [*listed[::3], "NSE:NIFTY 50", "BSE:SENSEX", "NSE:INDIA VIX", "NFO:NOT-LISTED"]
    items = market.quote(keys, at)
    names, cols = market.option_quote_columns(keys, at)
    assert sorted(names) == sorted(set(listed[::3]))
    expected = {f: np.array([parse_quote(items[k])[f] for k in names]) for f in QUOTE_COLUMNS}
    for f in QUOTE_COLUMNS:
        np.testing.assert_array_equal(cols[f], expected[f], err_msg=f, strict=True)
    table = SyntheticSource(market).quote_table(keys, at)
    ref = QuoteTable.from_items(items)
    assert sorted(table.keys) == sorted(ref.keys)
    rows, ref_rows = table.lookup(ref.keys), ref.lookup(ref.keys)
    for f in QUOTE_COLUMNS:
        np.testing.assert_array_equal(table.fields[f][rows], ref.fields[f][ref_rows], err_msg=f)


def test_columns_keep_missing_sides_as_nan(market: SyntheticMarket) -> None:
    at = MINUTES[1]
    keys = option_keys(market, dump_day(at))
    items = market.quote(keys, at)
    no_bid = [k for k, v in items.items() if v["depth"]["buy"][0]["quantity"] == 0]
    assert no_bid, "far strikes quote no bid"
    names, cols = market.option_quote_columns(no_bid, at)
    assert sorted(names) == sorted(no_bid)
    assert np.isnan(cols["bid"]).all() and np.isnan(cols["bid_qty"]).all()
    assert (cols["ask"] > 0).all()


def fetch_many(provider: ChainProvider, start: datetime, n: int, indices: Mapping[str, IndexSettings]) -> list[Any]:
    return [provider.fetch(indices, start + timedelta(minutes=k)) for k in range(n)]


@pytest.mark.parametrize("start", [MINUTES[0], MINUTES[3], MINUTES[5]], ids=["open", "night", "expiry"])
def test_array_path_snapshots_equal_item_path(market: SyntheticMarket, start: datetime) -> None:
    clock = lambda: start  # noqa: E731
    fast = ChainProvider("synthetic", SyntheticSource(market), clock=clock)
    slow = ChainProvider("synthetic", ItemsOnly(market), clock=clock)
    indices = all_indices()
    for a, b in zip(fetch_many(fast, start, 3, indices), fetch_many(slow, start, 3, indices), strict=True):
        assert a.failures == b.failures and a.snapshots.keys() == b.snapshots.keys() == set(indices)
        for name, sa in a.snapshots.items():
            sb = b.snapshots[name]
            pd.testing.assert_frame_equal(sa.legs, sb.legs, check_exact=True)
            assert sa.missing == sb.missing == ()
            assert (sa.spot, sa.spot_high, sa.vix, dict(sa.expiries)) == (sb.spot, sb.spot_high, sb.vix, dict(sb.expiries))
    assert fast._centres == slow._centres


def reference_forward(legs: pd.DataFrame, expiry: date) -> float:
    """K + C − P of one expiry the plain pandas way: mid else last price, first row per strike and side."""
    part = legs.loc[legs["expiry"] == expiry].drop_duplicates(["strike", "side"])
    mids = (part["bid"] + part["ask"]) / 2
    price = mids.where(mids.notna(), part["last_price"])
    ce = price[part["side"] == "CE"].set_axis(part.loc[part["side"] == "CE", "strike"])
    pe = price[part["side"] == "PE"].set_axis(part.loc[part["side"] == "PE", "strike"])
    both = pd.concat([ce.rename("c"), pe.rename("p")], axis=1).dropna()
    return strike_window_centre(both.index.to_numpy(), both["c"].to_numpy(), both["p"].to_numpy())


def test_forwards_follow_the_quoted_legs(market: SyntheticMarket) -> None:
    provider = ChainProvider("synthetic", SyntheticSource(market))
    result = provider.fetch(all_indices(), MINUTES[1])
    assert result.snapshots
    for name, snap in result.snapshots.items():
        legs = snap.legs.copy()
        legs.loc[legs.index[::5], ["bid", "ask"]] = np.nan  # some legs priced by their last price
        centres = expiry_centres(provider._universe(name, all_indices()[name], MINUTES[1]), legs)
        for expiry in set(snap.expiries.values()):
            assert centres[expiry] == reference_forward(legs, expiry)


def test_unquoted_legs_are_missing_not_filled(market: SyntheticMarket) -> None:
    at = MINUTES[1]
    indices = {"NIFTY": all_indices(5)["NIFTY"]}
    whole = ChainProvider("synthetic", SyntheticSource(market)).fetch(indices, at).snapshots["NIFTY"]
    dropped = frozenset(f"NFO:{s}" for s in whole.legs["tradingsymbol"].iloc[::7])
    for source in (Dropping(market, dropped), ItemsOnly(market, dropped)):
        snap = ChainProvider("synthetic", source).fetch(indices, at).snapshots["NIFTY"]
        assert snap.missing == tuple(sorted(k.split(":", 1)[1] for k in dropped))
        assert len(snap.legs) == len(whole.legs) - sum(whole.legs["tradingsymbol"].isin(snap.missing))
        kept = whole.legs.loc[~whole.legs["tradingsymbol"].isin(snap.missing)].reset_index(drop=True)
        pd.testing.assert_frame_equal(snap.legs, kept, check_exact=True)


def test_universe_reused_within_a_day_only(market: SyntheticMarket) -> None:
    provider = ChainProvider("synthetic", SyntheticSource(market))
    ix = all_indices()["NIFTY"]
    day1 = provider._universe("NIFTY", ix, MINUTES[0])
    assert provider._universe("NIFTY", ix, MINUTES[1]) is day1
    monthly = ix.model_copy(update={"expiry_tags": ["this_month"]})
    assert dict(provider._universe("NIFTY", monthly, MINUTES[1]).expiries) == {"this_month": day1.expiries["this_month"]}
    day2 = provider._universe("NIFTY", ix, MINUTES[5])
    assert day2 is not day1 and day2.expiries["this_week"] >= MINUTES[5].date()
    narrow = provider.fetch({"NIFTY": ix.model_copy(update={"strikes_below": 2, "strikes_above": 3})}, MINUTES[5])
    assert narrow.snapshots["NIFTY"].legs.groupby("expiry_tag").size().ge(12).all()  # widened to the wings


def test_four_indices_minute_after_minute(market: SyntheticMarket) -> None:
    provider = ChainProvider("synthetic", SyntheticSource(market))
    indices = all_indices()
    start = datetime(2026, 11, 23, 10, 0, tzinfo=IST)
    for k in range(6):
        result = provider.fetch(indices, start + timedelta(minutes=k))
        assert set(result.snapshots) == set(indices) and not result.failures
        assert sum(len(s.legs) for s in result.snapshots.values()) > 900


def test_a_tag_the_dump_cannot_resolve_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    calendar = MarketCalendar.load(Path(__file__).parents[2] / "config")
    provider = ChainProvider("synthetic", SyntheticSource(SyntheticMarket(6, calendar)))
    banknifty = IndexSettings(exchange="NFO", spot_key="NSE:NIFTY BANK", strikes_below=1, strikes_above=1,
                              expiry_tags=["this_week", "this_month"])
    with caplog.at_level("WARNING"):
        result = provider.fetch({"BANKNIFTY": banknifty}, datetime(2026, 11, 20, 11, 0, tzinfo=IST))
    assert set(result.snapshots["BANKNIFTY"].legs["expiry_tag"]) == {"this_month"}
    assert "no this_week contract" in caplog.text
