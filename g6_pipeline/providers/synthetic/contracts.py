"""The simulated market's listed contracts: index specs, expiry calendars and a Kite-format instrument dump.

NSE indices expire on Tuesday (weekly NIFTY, monthly on the month's last Tuesday), BSE on Thursday (weekly
SENSEX); before September 2025 NSE used Thursday and BSE Tuesday. An expiry on a day without a regular
session moves to the previous regular trading day. Beyond the calendar's years nominal dates are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import CalendarError, MarketCalendar
from g6_pipeline.instruments.dump import DUMP_COLUMNS
from g6_pipeline.providers.quotes import VIX_KEY

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_MONTH_CODES = "123456789OND"
RULE_CHANGE = date(2025, 9, 1)


@dataclass(frozen=True)
class IndexSpec:
    """One simulated underlying and its option contracts."""

    uid: int
    name: str
    exchange: str
    spot_key: str
    spot_token: int
    base_level: float
    base_vol: float
    step: float
    far_step: float
    lot_size: int
    weekly: bool

    @property
    def spot_exchange(self) -> str:
        """Exchange of the index quote ('NSE' or 'BSE')."""
        return self.spot_key.split(":", 1)[0]


SPECS: dict[str, IndexSpec] = {
    s.name: s
    for s in (
        IndexSpec(1, "NIFTY", "NFO", "NSE:NIFTY 50", 256265, 22000.0, 0.13, 50, 100, 65, True),
        IndexSpec(2, "BANKNIFTY", "NFO", "NSE:NIFTY BANK", 260105, 48000.0, 0.15, 100, 500, 30, False),
        IndexSpec(3, "FINNIFTY", "NFO", "NSE:NIFTY FIN SERVICE", 257801, 21500.0, 0.14, 50, 100, 60, False),
        IndexSpec(4, "SENSEX", "BFO", "BSE:SENSEX", 265, 72000.0, 0.125, 100, 500, 20, True),
        IndexSpec(5, "NIFTYNXT50", "NFO", "NSE:NIFTY NEXT 50", 270857, 65000.0, 0.16, 100, 500, 25, False),
    )
}
VIX_TOKEN = 264969
NEAR_STRIKES = 40
FAR_STRIKES = 10


def expiry_weekday(spec: IndexSpec, nominal: date) -> int:
    """Weekday (Mon=0) of the index's expiries in the week of `nominal`."""
    nse = spec.exchange == "NFO"
    if nominal >= RULE_CHANGE:
        return 1 if nse else 3
    return 3 if nse else 1


def _moved(calendar: MarketCalendar, d: date) -> date:
    try:
        return calendar.previous_regular_day(d)
    except CalendarError:
        return d


def listed_expiries(spec: IndexSpec, day: date, calendar: MarketCalendar) -> list[tuple[date, bool]]:
    """(expiry, is_monthly) listed on `day`: four weeklies (weekly indices) and three monthlies."""
    monthly: list[date] = []
    y, m = day.year, day.month
    while len(monthly) < 3:
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        wd = expiry_weekday(spec, last)
        nominal = last - timedelta(days=(last.weekday() - wd) % 7)
        e = _moved(calendar, nominal)
        if e >= day:
            monthly.append(e)
        y, m = nxt.year, nxt.month
    out = {e: True for e in monthly}
    if spec.weekly:
        d, weeks = day, 0
        while weeks < 4:
            wd = expiry_weekday(spec, d)
            nominal = d + timedelta(days=(wd - d.weekday()) % 7)
            e = _moved(calendar, nominal)
            if e >= day:
                out.setdefault(e, False)
                weeks += 1
            d = nominal + timedelta(days=1)
    return sorted(out.items())


def tradingsymbol(spec: IndexSpec, expiry: date, monthly: bool, strike: float, side: str) -> str:
    """Kite's symbol: `NIFTY25DEC25000CE` (monthly) or `NIFTY25N0425600CE` (weekly)."""
    yy = f"{expiry.year % 100:02d}"
    k = f"{strike:.0f}"
    if monthly:
        return f"{spec.name}{yy}{MONTHS[expiry.month - 1]}{k}{side}"
    return f"{spec.name}{yy}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}{k}{side}"


def option_token(spec: IndexSpec, expiry: date, strike: float, side: str) -> int:
    """A stable, unique instrument token for a simulated contract."""
    days = expiry.toordinal() - 739000
    return spec.uid * 10**11 + days * 10**7 + round(strike) * 10 + (1 if side == "CE" else 2)


def strike_grid(spec: IndexSpec, reference: float) -> np.ndarray:
    """Listed strikes: `NEAR_STRIKES` steps either side of the reference, then wider steps further out."""
    center = round(reference / spec.far_step) * spec.far_step
    near = center + spec.step * np.arange(-NEAR_STRIKES, NEAR_STRIKES + 1)
    edge = NEAR_STRIKES * spec.step
    far_lo = center - edge - spec.far_step * np.arange(1, FAR_STRIKES + 1)
    far_hi = center + edge + spec.far_step * np.arange(1, FAR_STRIKES + 1)
    grid = np.concatenate([far_lo, near, far_hi])
    grid = np.round(grid / spec.step) * spec.step
    return np.unique(grid[grid > 0])


def option_rows(spec: IndexSpec, day: date, calendar: MarketCalendar, reference: float) -> pd.DataFrame:
    """The index's option contracts listed on `day`, in Kite's dump columns."""
    rows = []
    strikes = strike_grid(spec, reference)
    segment = f"{spec.exchange}-OPT"
    for expiry, monthly in listed_expiries(spec, day, calendar):
        for k in strikes:
            for side in ("CE", "PE"):
                token = option_token(spec, expiry, float(k), side)
                rows.append((token, token // 256 % 10**7, tradingsymbol(spec, expiry, monthly, float(k), side),
                             spec.name, 0.0, expiry, float(k), 0.05, spec.lot_size, side, segment, spec.exchange))
    return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))


def future_rows(spec: IndexSpec, day: date, calendar: MarketCalendar) -> pd.DataFrame:
    """The index's monthly futures (segment `<EXCH>-FUT`), listed so selection must skip them."""
    rows = []
    for expiry, monthly in listed_expiries(spec, day, calendar):
        if not monthly:
            continue
        token = option_token(spec, expiry, 0.0, "FUT")
        symbol = f"{spec.name}{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}FUT"
        rows.append((token, token // 256 % 10**7, symbol, spec.name, 0.0, expiry, 0.0, 0.05, spec.lot_size,
                     "FUT", f"{spec.exchange}-FUT", spec.exchange))
    return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))


def index_rows(exchange: str) -> pd.DataFrame:
    """The `INDICES` rows of the NSE or BSE dump (the spot quote keys)."""
    rows = []
    for spec in SPECS.values():
        if spec.spot_exchange == exchange:
            symbol = spec.spot_key.split(":", 1)[1]
            rows.append((spec.spot_token, spec.spot_token // 256, symbol, symbol, 0.0, None, 0.0, 0.0, 0,
                         "EQ", "INDICES", exchange))
    if exchange == "NSE":
        exchange_, symbol = VIX_KEY.split(":", 1)
        rows.append((VIX_TOKEN, VIX_TOKEN // 256, symbol, symbol, 0.0, None, 0.0, 0.0, 0, "EQ", "INDICES", exchange_))
    return pd.DataFrame(rows, columns=list(DUMP_COLUMNS))
