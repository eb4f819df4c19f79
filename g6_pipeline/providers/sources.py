"""The in-process sources: the simulated market (`synthetic`) and a tiny fixed chain (`mock`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from g6_pipeline.core.clock import floor_minute
from g6_pipeline.core.report import ProviderStats
from g6_pipeline.instruments import DUMP_COLUMNS, parse_dump_csv
from g6_pipeline.providers.quotes import QUOTE_BATCH, VIX_KEY, QuoteTable
from g6_pipeline.providers.synthetic import SPECS, SyntheticMarket, tradingsymbol


class SyntheticSource:
    """Serves `SyntheticMarket` through the Kite formats (CSV dump, `/quote` items)."""

    max_batch = QUOTE_BATCH

    def __init__(self, market: SyntheticMarket) -> None:
        self.market = market

    def begin(self, stats: ProviderStats) -> None:
        """Nothing to check: the simulated market needs no token."""
        stats.token_state = "not_required"

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The market's dump, parsed from its Kite-format CSV."""
        return parse_dump_csv(self.market.instruments_csv(exchange, day), f"synthetic {exchange} dump")

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        """The market's `/quote` items at `now`."""
        return self.market.quote(list(keys), now)

    def source_state(self) -> dict[str, Any]:
        """The market's session open, for the next minute run (`synthetic.session`)."""
        return self.market.session_state()

    def restore_source_state(self, state: Mapping[str, Any]) -> None:
        """Start the market from the session open an earlier run kept."""
        self.market.restore_session_state(state)

    def quote_table(self, keys: Sequence[str], now: datetime) -> QuoteTable:
        """`quote` parsed, with the options' columns taken from the market without building Kite items."""
        names, columns = self.market.option_quote_columns(keys, now)
        table = QuoteTable(names, columns)
        rest = [k for k in keys if k not in table.rows]
        if not rest:
            return table
        return QuoteTable.concat([table, QuoteTable.from_items(self.market.quote(rest, now))])


MOCK_SPOTS = {"NIFTY": 24010.0, "BANKNIFTY": 51020.0, "FINNIFTY": 23005.0, "SENSEX": 79030.0}
MOCK_STRIKES = 5


def _next_weekday(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


class MockSource:
    """Fixed spots, five strikes each side, two weeklies (NIFTY, SENSEX) and two monthlies per index.

    Prices are a closed-form function of strike and days to expiry, the same on every call: for unit tests.
    """

    max_batch = QUOTE_BATCH

    def begin(self, stats: ProviderStats) -> None:
        """No token needed."""
        stats.token_state = "not_required"

    def _expiries(self, name: str, day: date) -> list[tuple[date, bool]]:
        wd = 3 if name == "SENSEX" else 1
        this_m = _last_weekday(day.year, day.month, wd)
        if this_m < day:
            nxt = this_m + timedelta(days=10)
            this_m = _last_weekday(nxt.year, nxt.month, wd)
        after = this_m + timedelta(days=10)
        out = {this_m: True, _last_weekday(after.year, after.month, wd): True}
        if SPECS[name].weekly:
            first = _next_weekday(day, wd)
            for e in (first, first + timedelta(days=7)):
                out.setdefault(e, False)
        return sorted(out.items())

    def instruments(self, exchange: str, day: date) -> pd.DataFrame:
        """The tiny dump."""
        rows = []
        for name, spot in MOCK_SPOTS.items():
            spec = SPECS[name]
            if spec.exchange != exchange:
                continue
            atm = round(spot / spec.step) * spec.step
            for expiry, monthly in self._expiries(name, day):
                for i in range(-MOCK_STRIKES, MOCK_STRIKES + 1):
                    k = atm + i * spec.step
                    for side in ("CE", "PE"):
                        token = spec.uid * 10**9 + (expiry.toordinal() % 10000) * 10**5 + (i + 50) * 10 + (side == "PE")
                        rows.append((token, token // 256, tradingsymbol(spec, expiry, monthly, k, side), name, 0.0,
                                     expiry, k, 0.05, spec.lot_size, side, f"{exchange}-OPT", exchange))
        return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))

    def quote(self, keys: Sequence[str], now: datetime) -> Mapping[str, Mapping[str, Any]]:
        """Fixed quotes: spot from `MOCK_SPOTS`, options intrinsic plus a time value of √days; every quote (and
        every option's last trade) stamped with the exchange time of `now`'s minute."""
        out: dict[str, dict[str, Any]] = {}
        stamp = floor_minute(now).strftime("%Y-%m-%d %H:%M:%S")
        spot_keys = {SPECS[n].spot_key: n for n in MOCK_SPOTS}
        catalog: dict[str, pd.Series] = {}
        for exchange in ("NFO", "BFO"):
            dump = self.instruments(exchange, now.date())
            for _, row in dump.iterrows():
                catalog[f"{exchange}:{row['tradingsymbol']}"] = row
        for key in keys:
            if key in spot_keys:
                s = MOCK_SPOTS[spot_keys[key]]
                out[key] = {"last_price": s, "timestamp": stamp,
                            "ohlc": {"open": s - 10, "high": s + 40, "low": s - 60, "close": s - 20}}
            elif key == VIX_KEY:
                out[key] = {"last_price": 13.5, "timestamp": stamp}
            elif key in catalog:
                row = catalog[key]
                s = MOCK_SPOTS[str(row["name"])]
                k = float(row["strike"])
                days = max((row["expiry"] - now.date()).days, 0) + 1
                intrinsic = max(s - k, 0.0) if row["instrument_type"] == "CE" else max(k - s, 0.0)
                price = round(intrinsic + 0.004 * s * math.sqrt(days / 365) * 10 * math.exp(-abs(s - k) / (0.01 * s)), 1)
                lot = int(row["lot_size"])
                out[key] = {
                    "instrument_token": int(row["instrument_token"]), "timestamp": stamp, "last_trade_time": stamp,
                    "last_price": price, "volume": 100 * lot,
                    "oi": 1000 * lot, "average_price": price, "ohlc": {"close": price + 1.0},
                    "depth": {"buy": [{"price": round(price - 0.5, 2), "quantity": lot, "orders": 1}],
                              "sell": [{"price": round(price + 0.5, 2), "quantity": lot, "orders": 1}]},
                }
        return out
