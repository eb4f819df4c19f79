"""The simulated underlyings: the seven indices with their documented figures, and every F&O stock.

An index's figures (reference level, volatility, strike steps, lot size, how its OI and volume scale) are
stated in this package's README.md. A stock's come from the dated F&O list (`core/fo_stocks.csv`: its lot
size and reference level, sourced or estimated as the file's header says) and from fixed rules, the same
for every run: its volatility lies above the indices' (24-40 % a year against their 12.5-17 %), its returns
load on the same market factor as the indices' (so a stock is correlated with NIFTY by about 0.5-0.7), its
strike step is the round number nearest 0.8 % of its level, and its options expire monthly on the NSE day.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date

from g6_pipeline.core.underlyings import INDEX_UNDERLYINGS, Kind, fo_stocks

REFERENCE_DATE = date(2026, 11, 27)
"""The day the specs' reference levels hold (approximate closes of the week ending 27 Nov 2026 for the indices;
the stocks' levels of `core/fo_stocks.csv` are anchored on the same day)."""
STOCK_UID_BASE = 100
"""A stock's `uid` is this plus its position in the F&O list (the indices take 1-7)."""
STOCK_SPOT_TOKEN_BASE = 5_000_000
"""A stock's price token is this plus its `uid` (unique beside the indices' real Kite tokens)."""
STOCK_STEP_SHARE = 0.008
"""A stock's strike step is the round number nearest this share of its level."""
MIN_STOCK_STEP = 0.5


@dataclass(frozen=True)
class IndexSpec:
    """One simulated underlying (an index or a stock) and its option contracts."""

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
    """Weight of the market factor in the returns (pairwise correlation = product of loadings)."""
    oi_lots: float
    """OI scale in lots: an at-the-money strike off the round ones holds about 0.65 of it on the eve of expiry."""
    turnover: float
    """A day's volume at the money over `oi_lots`, before the nearness-to-expiry factor."""
    round_strikes: tuple[float, float]
    """(minor, major) round strikes where OI concentrates, e.g. multiples of 100 and 500 for NIFTY."""
    kind: Kind = "index"
    near_strikes: int = 40
    """Listed strikes at `step` on each side of the listing reference, then `far_strikes` at `far_step`."""
    far_strikes: int = 10
    company: str = ""
    """A stock's name as NSE lists it (the `name` of its price in the NSE dump)."""

    @property
    def spot_exchange(self) -> str:
        """Exchange of the underlying's own quote ('NSE' or 'BSE')."""
        return self.spot_key.split(":", 1)[0]

    @property
    def strike_unit(self) -> float:
        """The strike resolution of the contracts' tokens (a stock's strikes may be 187.5)."""
        return 1.0 if self.kind == "index" else 0.5


def _index(uid: int, name: str, spot_token: int, level: float, vol: float, step: int, far_step: int, lot: int,
           loading: float, oi_lots: float, turnover: float, round_strikes: tuple[float, float]) -> IndexSpec:
    """An index spec, its exchange, price key and weeklies from the index table (`core.underlyings`)."""
    row = INDEX_UNDERLYINGS[name]
    return IndexSpec(uid, name, row.exchange, row.spot_key, spot_token, level, vol, step, far_step, lot, row.weekly,
                     loading, oi_lots, turnover, round_strikes)


INDEX_SPECS: tuple[IndexSpec, ...] = (
    _index(1, "NIFTY", 256265, 26000.0, 0.13, 50, 100, 65, 0.97, 2.5e5, 50.0, (100, 500)),
    _index(2, "BANKNIFTY", 260105, 59500.0, 0.15, 100, 500, 30, 0.89, 1.2e5, 35.0, (500, 1000)),
    _index(3, "FINNIFTY", 257801, 27500.0, 0.14, 50, 100, 60, 0.91, 1.2e4, 20.0, (100, 500)),
    _index(4, "SENSEX", 265, 85000.0, 0.125, 100, 500, 20, 0.96, 1.5e5, 50.0, (500, 1000)),
    _index(5, "NIFTYNXT50", 270857, 69000.0, 0.16, 100, 500, 25, 0.85, 3.0e3, 10.0, (500, 1000)),
    _index(6, "MIDCPNIFTY", 288009, 13500.0, 0.17, 25, 100, 120, 0.85, 6.0e3, 15.0, (100, 500)),
    _index(7, "BANKEX", 274441, 64000.0, 0.15, 100, 500, 30, 0.87, 2.0e3, 10.0, (500, 1000)),
)


def round_step(value: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) nearest `value`, at least `MIN_STOCK_STEP`."""
    if not value > 0:
        return MIN_STOCK_STEP
    power = 10.0 ** math.floor(math.log10(value))
    best = min((m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0)), key=lambda c: abs(math.log(c / value)))
    return max(best, MIN_STOCK_STEP)


def _unit(symbol: str, salt: int) -> float:
    """A fixed uniform [0, 1) per symbol and salt (the same in every run and process)."""
    return zlib.crc32(f"{symbol}/{salt}".encode()) / 2.0**32


def _round_strikes(step: float, level: float) -> tuple[float, float]:
    """(minor, major) round strikes of a stock: the major ones the round number nearest 4 % of its level, the
    minor ones half as far apart, both whole steps."""
    major = step * max(1, round(round_step(0.04 * level) / step))
    return step * max(1, round(major / step / 2)), major


def stock_specs() -> tuple[IndexSpec, ...]:
    """A spec per F&O stock, in the list's order."""
    out = []
    for position, stock in enumerate(fo_stocks().values()):
        step = round_step(STOCK_STEP_SHARE * stock.level)
        uid = STOCK_UID_BASE + position
        out.append(IndexSpec(
            uid=uid, name=stock.symbol, exchange="NFO", spot_key=f"NSE:{stock.symbol}",
            spot_token=STOCK_SPOT_TOKEN_BASE + uid, reference_level=stock.level,
            base_vol=0.24 + 0.16 * _unit(stock.symbol, 1), step=step, far_step=2 * step, lot_size=stock.lot_size,
            weekly=False, loading=0.52 + 0.22 * _unit(stock.symbol, 2), oi_lots=2000.0 * (0.25 + 1.5 * _unit(stock.symbol, 3)),
            turnover=6.0, round_strikes=_round_strikes(step, stock.level), kind="stock", near_strikes=20,
            far_strikes=5, company=stock.name,
        ))
    return tuple(out)


SPECS: dict[str, IndexSpec] = {s.name: s for s in (*INDEX_SPECS, *stock_specs())}
"""Every simulated underlying by name: the indices, then the stocks."""
