"""The simulated market's listed contracts: index specs, expiry calendars and a Kite-format instrument dump.

NSE indices expire on Tuesday (weekly NIFTY, monthly on the month's last Tuesday), BSE on Thursday (weekly
SENSEX); before September 2025 NSE used Thursday and BSE Tuesday. An expiry on a day without a regular
session moves to the previous regular trading day. An expiry in a year the holiday file does not cover is
listed provisionally, on its weekday rule moved over weekends only (that year's holidays are unknown), so no
expiry tag vanishes in December; once the year's holidays are imported the same contract moves off a holiday.

Each index carries its documented reference level and the scales of its open interest and volume; the
figures and their sources are in this package's README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from g6_pipeline.core.calendar import MarketCalendar
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
    reference_level: float
    """Approximate level on `REFERENCE_DATE` (the default the simulated path is anchored to)."""
    base_vol: float
    step: float
    far_step: float
    lot_size: int
    weekly: bool
    loading: float
    """Weight of the market factor in the index's returns (pairwise correlation = product of loadings)."""
    oi_lots: float
    """OI scale in lots: an at-the-money strike off the round ones holds about 0.65 of it on the eve of expiry."""
    turnover: float
    """A day's volume at the money over `oi_lots`, before the nearness-to-expiry factor."""
    round_strikes: tuple[int, int]
    """(minor, major) round strikes where OI concentrates, e.g. multiples of 100 and 500 for NIFTY."""

    @property
    def spot_exchange(self) -> str:
        """Exchange of the index quote ('NSE' or 'BSE')."""
        return self.spot_key.split(":", 1)[0]


SPECS: dict[str, IndexSpec] = {
    s.name: s
    for s in (
        IndexSpec(1, "NIFTY", "NFO", "NSE:NIFTY 50", 256265, 26000.0, 0.13, 50, 100, 65, True,
                  0.97, 2.5e5, 50.0, (100, 500)),
        IndexSpec(2, "BANKNIFTY", "NFO", "NSE:NIFTY BANK", 260105, 59500.0, 0.15, 100, 500, 30, False,
                  0.89, 1.2e5, 35.0, (500, 1000)),
        IndexSpec(3, "FINNIFTY", "NFO", "NSE:NIFTY FIN SERVICE", 257801, 27500.0, 0.14, 50, 100, 60, False,
                  0.91, 1.2e4, 20.0, (100, 500)),
        IndexSpec(4, "SENSEX", "BFO", "BSE:SENSEX", 265, 85000.0, 0.125, 100, 500, 20, True,
                  0.96, 1.5e5, 50.0, (500, 1000)),
        IndexSpec(5, "NIFTYNXT50", "NFO", "NSE:NIFTY NEXT 50", 270857, 69000.0, 0.16, 100, 500, 25, False,
                  0.85, 3.0e3, 10.0, (500, 1000)),
    )
}
REFERENCE_DATE = date(2026, 11, 27)
"""The day the specs' reference levels hold (approximate closes of the week ending 27 Nov 2026)."""
VIX_TOKEN = 264969
NEAR_STRIKES = 40
FAR_STRIKES = 10


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
