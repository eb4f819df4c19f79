"""The simulated market's listed contracts: expiry calendars and a Kite-format instrument dump.

NSE's contracts expire on Tuesday (weekly NIFTY, monthlies of the other indices and of every stock on the
month's last Tuesday), BSE's on Thursday (weekly SENSEX, monthly BANKEX); before September 2025 NSE used
Thursday and BSE Tuesday. An expiry on a day without a regular
session moves to the previous regular trading day. An expiry in a year the holiday file does not cover is
listed provisionally, on its weekday rule moved over weekends only (that year's holidays are unknown), so no
expiry tag vanishes in December; once the year's holidays are imported the same contract moves off a holiday.

The underlyings and their figures are `specs`; their sources are in this package's README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.instruments.dump import DUMP_COLUMNS
from g6_pipeline.providers.quotes import VIX_KEY
from g6_pipeline.providers.synthetic.specs import SPECS, IndexSpec

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_MONTH_CODES = "123456789OND"
RULE_CHANGE = date(2025, 9, 1)


VIX_TOKEN = 264969


def expiry_weekday(spec: IndexSpec, nominal: date) -> int:
    """Weekday (Mon=0) of the index's expiries in the week of `nominal`."""
    nse = spec.exchange == "NFO"
    if nominal >= RULE_CHANGE:
        return 1 if nse else 3
    return 3 if nse else 1


def _listed(calendar: MarketCalendar, nominal: date) -> date:
    """The expiry of a nominal date: moved back to a regular session (provisionally in an uncovered year)."""
    return calendar.previous_regular_day(nominal)


def _monthlies(spec: IndexSpec, day: date, calendar: MarketCalendar) -> list[date]:
    """Up to three monthly expiries on or after `day` (the month's last expiry weekday, moved)."""
    out: list[date] = []
    y, m = day.year, day.month
    for _ in range(4):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        e = _listed(calendar, last - timedelta(days=(last.weekday() - expiry_weekday(spec, last)) % 7))
        if e >= day:
            out.append(e)
        y, m = nxt.year, nxt.month
    return out[:3]


def _weeklies(spec: IndexSpec, day: date, calendar: MarketCalendar) -> list[date]:
    """Up to four weekly expiries on or after `day`."""
    out: list[date] = []
    d = day
    for _ in range(5):
        nominal = d + timedelta(days=(expiry_weekday(spec, d) - d.weekday()) % 7)
        e = _listed(calendar, nominal)
        if e >= day:
            out.append(e)
        d = nominal + timedelta(days=1)
    return out[:4]


def listed_expiries(spec: IndexSpec, day: date, calendar: MarketCalendar) -> list[tuple[date, bool]]:
    """(expiry, is_monthly) listed on `day`: four weeklies (weekly indices) and three monthlies (those in a year
    the holiday file does not cover provisionally, see the module docstring)."""
    out = {e: True for e in _monthlies(spec, day, calendar)}
    if spec.weekly:
        for e in _weeklies(spec, day, calendar):
            out.setdefault(e, False)
    return sorted(out.items())


def strike_text(strike: float) -> str:
    """A strike as Kite's symbols write it: `25000`, `187.5`."""
    return f"{strike:.0f}" if float(strike).is_integer() else f"{strike:.2f}".rstrip("0").rstrip(".")


def symbol_prefix(spec: IndexSpec, expiry: date, monthly: bool) -> str:
    """Kite's symbol up to the strike: `NIFTY25DEC` (monthly) or `NIFTY25N04` (weekly)."""
    yy = f"{expiry.year % 100:02d}"
    if monthly:
        return f"{spec.name}{yy}{MONTHS[expiry.month - 1]}"
    return f"{spec.name}{yy}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}"


def tradingsymbol(spec: IndexSpec, expiry: date, monthly: bool, strike: float, side: str) -> str:
    """Kite's symbol: `NIFTY25DEC25000CE` (monthly), `NIFTY25N0425600CE` (weekly), `TATASTEEL26DEC187.5CE`."""
    return f"{symbol_prefix(spec, expiry, monthly)}{strike_text(strike)}{side}"


def option_token(spec: IndexSpec, expiry: date, strike: float, side: str) -> int:
    """A stable, unique instrument token for a simulated contract."""
    days = expiry.toordinal() - 739000
    return spec.uid * 10**11 + days * 10**7 + round(strike / spec.strike_unit) * 10 + (1 if side == "CE" else 2)


def strike_grid(spec: IndexSpec, reference: float) -> np.ndarray:
    """Listed strikes: `spec.near_strikes` steps either side of the reference, then wider steps further out."""
    center = round(reference / spec.far_step) * spec.far_step
    near = center + spec.step * np.arange(-spec.near_strikes, spec.near_strikes + 1)
    edge = spec.near_strikes * spec.step
    far_lo = center - edge - spec.far_step * np.arange(1, spec.far_strikes + 1)
    far_hi = center + edge + spec.far_step * np.arange(1, spec.far_strikes + 1)
    grid = np.concatenate([far_lo, near, far_hi])
    grid = np.round(grid / spec.step) * spec.step
    return np.unique(grid[grid > 0])


def option_rows(spec: IndexSpec, day: date, calendar: MarketCalendar, reference: float) -> list[tuple[Any, ...]]:
    """The underlying's option contracts listed on `day`, as rows of Kite's dump columns."""
    strikes = strike_grid(spec, reference).tolist()
    texts = [strike_text(k) for k in strikes]
    segment = f"{spec.exchange}-OPT"
    rows: list[tuple[Any, ...]] = []
    for expiry, monthly in listed_expiries(spec, day, calendar):
        prefix = symbol_prefix(spec, expiry, monthly)
        base = spec.uid * 10**11 + (expiry.toordinal() - 739000) * 10**7
        for k, text in zip(strikes, texts, strict=True):
            for side, code in (("CE", 1), ("PE", 2)):
                token = base + round(k / spec.strike_unit) * 10 + code
                rows.append((token, token // 256 % 10**7, f"{prefix}{text}{side}", spec.name, 0.0, expiry, k, 0.05,
                             spec.lot_size, side, segment, spec.exchange))
    return rows


def future_rows(spec: IndexSpec, day: date, calendar: MarketCalendar) -> list[tuple[Any, ...]]:
    """The underlying's monthly futures (segment `<EXCH>-FUT`), listed so selection must skip them."""
    rows: list[tuple[Any, ...]] = []
    for expiry, monthly in listed_expiries(spec, day, calendar):
        if not monthly:
            continue
        token = option_token(spec, expiry, 0.0, "FUT")
        symbol = f"{spec.name}{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}FUT"
        rows.append((token, token // 256 % 10**7, symbol, spec.name, 0.0, expiry, 0.0, 0.05, spec.lot_size,
                     "FUT", f"{spec.exchange}-FUT", spec.exchange))
    return rows


def derivative_rows(
    specs: Sequence[IndexSpec], day: date, calendar: MarketCalendar, references: Sequence[float]
) -> pd.DataFrame:
    """The options and futures of `specs` listed on `day` (options around each spec's `references` level), as
    one dump frame."""
    rows: list[tuple[Any, ...]] = []
    for spec, reference in zip(specs, references, strict=True):
        rows.extend(option_rows(spec, day, calendar, reference))
        rows.extend(future_rows(spec, day, calendar))
    return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))


def spot_rows(exchange: str) -> pd.DataFrame:
    """The NSE or BSE dump's rows of the underlyings' own prices: the indices (segment `INDICES`, and the India
    VIX on NSE) and, on NSE, the stocks (segment `NSE`, `EQ`, named by the company)."""
    rows = []
    for spec in SPECS.values():
        if spec.spot_exchange == exchange:
            symbol = spec.spot_key.split(":", 1)[1]
            if spec.kind == "index":
                rows.append((spec.spot_token, spec.spot_token // 256, symbol, symbol, 0.0, None, 0.0, 0.0, 0,
                             "EQ", "INDICES", exchange))
            else:
                rows.append((spec.spot_token, spec.spot_token // 256, symbol, spec.company, 0.0, None, 0.0, 0.05, 1,
                             "EQ", exchange, exchange))
    if exchange == "NSE":
        exchange_, symbol = VIX_KEY.split(":", 1)
        rows.append((VIX_TOKEN, VIX_TOKEN // 256, symbol, symbol, 0.0, None, 0.0, 0.0, 0, "EQ", "INDICES", exchange_))
    return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))
