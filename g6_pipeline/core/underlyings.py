"""The optionable underlyings G6 knows: the indices with options on NSE and BSE, and NSE's F&O stocks.

An index's options carry its short `name` in the instrument dump (`MIDCPNIFTY`), while its own price is
quoted under the exchange's index name (`NSE:NIFTY MID SELECT`): `INDEX_UNDERLYINGS` is the one table of
those quote keys. A stock's price is quoted under its symbol on NSE (`NSE:RELIANCE`). The F&O stocks are
listed in `fo_stocks.csv` beside this module (dated, with the source of every number in its header);
Kite's instrument dump of the day, not this list, decides what is collected.

Groups name many underlyings at once: `indices` (every index of the table, in its order) and `fo_stocks`
(every stock of the list, in symbol order).
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Kind = Literal["index", "stock"]
KINDS: tuple[Kind, ...] = ("index", "stock")
STOCK_SPOT_EXCHANGE = "NSE"
"""Where a stock's own price is quoted (`NSE:<SYMBOL>`)."""
STOCK_OPTIONS_EXCHANGE = "NFO"
"""Where a stock's options are listed."""
NAME_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9&-]{0,29}")
"""What an underlying's name looks like in the dump (`NIFTY`, `M&M`, `BAJAJ-AUTO`)."""
FO_STOCKS_FILE = Path(__file__).with_name("fo_stocks.csv")


@dataclass(frozen=True)
class IndexUnderlying:
    """An index with listed options."""

    name: str
    """The dump's `name` of its options."""
    exchange: str
    """Options exchange: NFO (NSE) or BFO (BSE)."""
    spot_key: str
    """Quote key of the index itself."""
    weekly: bool
    """Whether the exchange lists weekly contracts (since November 2024 only NIFTY on NSE and SENSEX on BSE)."""


INDEX_UNDERLYINGS: dict[str, IndexUnderlying] = {
    ix.name: ix
    for ix in (
        IndexUnderlying("NIFTY", "NFO", "NSE:NIFTY 50", True),
        IndexUnderlying("BANKNIFTY", "NFO", "NSE:NIFTY BANK", False),
        IndexUnderlying("FINNIFTY", "NFO", "NSE:NIFTY FIN SERVICE", False),
        IndexUnderlying("SENSEX", "BFO", "BSE:SENSEX", True),
        IndexUnderlying("MIDCPNIFTY", "NFO", "NSE:NIFTY MID SELECT", False),
        IndexUnderlying("NIFTYNXT50", "NFO", "NSE:NIFTY NEXT 50", False),
        IndexUnderlying("BANKEX", "BFO", "BSE:BANKEX", False),
    )
}
"""Every index with options G6 knows, its options exchange and the quote key of its price."""

DEFAULT_UNDERLYINGS: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX")
"""What G6 collects when the configuration names nothing."""


@dataclass(frozen=True)
class Stock:
    """One row of `fo_stocks.csv`."""

    symbol: str
    name: str
    """The company's name as NSE lists it."""
    lot_size: int
    level: float
    """A reference price: a sourced close or an estimate, as `level_source` says."""
    level_source: str


class UnknownUnderlyingError(ValueError):
    """A name that is neither a known underlying nor a group; the message names the closest known ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.suggestions = closest(name)
        hint = f"; closest: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(f"{name!r} is not an optionable underlying or group G6 knows{hint}")


@cache
def fo_stocks() -> dict[str, Stock]:
    """The F&O stocks of `fo_stocks.csv`, by symbol, in symbol order."""
    with FO_STOCKS_FILE.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    out: dict[str, Stock] = {}
    for row in csv.DictReader(lines):
        stock = Stock(row["symbol"], row["name"], int(row["lot_size"]), float(row["level"]), row["level_source"])
        out[stock.symbol] = stock
    return dict(sorted(out.items()))


def groups() -> dict[str, tuple[str, ...]]:
    """Group name → its underlyings, in priority order."""
    return {"indices": tuple(INDEX_UNDERLYINGS), "fo_stocks": tuple(fo_stocks())}


def known_names() -> list[str]:
    """Every underlying and group name G6 knows."""
    return [*INDEX_UNDERLYINGS, *fo_stocks(), *groups()]


def closest(name: str, count: int = 3) -> list[str]:
    """Up to `count` known names that look like `name` (difflib's ratio, ignoring case), best first."""
    known = {n.upper(): n for n in known_names()}
    return [known[m] for m in difflib.get_close_matches(name.strip().upper(), list(known), n=count, cutoff=0.6)]


def kind_of(name: str) -> Kind | None:
    """`index` or `stock` for a known underlying, None for any other name."""
    if name in INDEX_UNDERLYINGS:
        return "index"
    if name in fo_stocks():
        return "stock"
    return None


def spot_key_of(name: str) -> str:
    """The quote key of the underlying's own price: the table's for an index, `NSE:<SYMBOL>` otherwise."""
    index = INDEX_UNDERLYINGS.get(name)
    return index.spot_key if index is not None else f"{STOCK_SPOT_EXCHANGE}:{name}"


def expand(names: Iterable[str]) -> list[str]:
    """The underlyings `names` mean, groups expanded, in order, each once (its first mention counts).

    Names are matched in upper case; an unknown one raises `UnknownUnderlyingError`.
    """
    out: dict[str, None] = {}
    table = groups()
    for raw in names:
        name = raw.strip().upper()
        members: Sequence[str] = table.get(name.lower(), ())
        if not members:
            if kind_of(name) is None:
                raise UnknownUnderlyingError(raw.strip())
            members = (name,)
        out.update(dict.fromkeys(members))
    return list(out)


def by_priority(names: Iterable[str], kinds: dict[str, Kind]) -> list[str]:
    """`names` with the indices first, then the stocks, each in the order given (the collection priority)."""
    ordered = list(names)
    return [n for n in ordered if kinds.get(n) == "index"] + [n for n in ordered if kinds.get(n) != "index"]
