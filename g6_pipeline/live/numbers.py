"""How every view writes a number: one digit grouping for the page, the terminal chain and the summary.

`display.digit_grouping` picks the grouping: Indian (`12,34,567.50`, as NSE shows it) or western
(`1,234,567.50`). A value is rounded half away from zero on its exact binary value, as the page's
`Intl.NumberFormat` rounds, so the page (which formats with the locale `NumberFormat.locale` names) and
the terminal write the same characters for the same number.

OI and volume are stored in units (lots × lot size, as Kite reports them); `display.quantities` shows them
in contracts (lots, as NSE's option chain does) or in units, and every view names the unit it shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from g6_pipeline.settings.model import DigitGrouping, Quantities, Settings

DASH = "-"
"""What a view shows for a value that is missing."""
LOCALES: dict[str, str] = {"indian": "en-IN", "western": "en-US"}
RUPEES_PER_CRORE = 1e7
"""Exposure in rupees is shown in crores (₹ cr), as Indian desks read it."""
"""The `Intl.NumberFormat` locale the page groups digits with, per `display.digit_grouping`."""


def group_digits(digits: str, grouping: DigitGrouping) -> str:
    """Commas in a string of digits: the last three, then pairs (Indian) or threes (western)."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    size = 2 if grouping == "indian" else 3
    first = len(head) % size or size
    groups = [head[:first]] + [head[i : i + size] for i in range(first, len(head), size)]
    return ",".join([*groups, tail])


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class NumberFormat:
    """The digit grouping and the unit of OI and volume of every view."""

    grouping: DigitGrouping = "indian"
    quantities: Quantities = "contracts"

    @classmethod
    def from_settings(cls, settings: Settings) -> NumberFormat:
        """The style `display` configures."""
        return cls(settings.display.digit_grouping, settings.display.quantities)

    @property
    def locale(self) -> str:
        """The page's `Intl.NumberFormat` locale for this grouping."""
        return LOCALES[self.grouping]

    def number(self, value: Any, digits: int = 2, signed: bool = False) -> str:
        """`value` with `digits` decimals and grouped digits; `+` before a positive one when `signed`; a dash
        when missing or not finite. A value that rounds to zero has no sign."""
        x = _finite(value)
        if x is None:
            return DASH
        rounded = Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        whole, _, fraction = f"{abs(rounded):f}".partition(".")
        text = group_digits(whole, self.grouping) + (f".{fraction}" if fraction else "")
        if rounded < 0:
            return "-" + text
        return "+" + text if signed and rounded > 0 else text

    def strike(self, value: Any) -> str:
        """A strike as listed: whole rupees, or its decimals when it has them (a stock's 187.5)."""
        x = _finite(value)
        if x is None:
            return DASH
        decimals = 0 if float(x).is_integer() else 1 if float(x * 10).is_integer() else 2
        return self.number(x, decimals)

    def percent(self, fraction: Any, digits: int = 1) -> str:
        """A fraction as a percentage (0.142 → 14.2%), or a dash."""
        x = _finite(fraction)
        return DASH if x is None else self.number(100 * x, digits) + "%"

    def crore(self, rupees: Any, digits: int = 1, signed: bool = True) -> str:
        """Rupees in crores (₹ 2.5e9 → +250.0), signed, or a dash."""
        x = _finite(rupees)
        return self.number(None if x is None else x / RUPEES_PER_CRORE, digits, signed)

    def iv_rank(self, rank: Any, percentile: Any, source: Any, closes: Any = None) -> str:
        """`45/60 bhavcopy`: IV rank and percentile (0-100) and what their daily closes are; without either, a
        dash and the closes there are (`- (3 bhavcopy closes)`)."""
        words = source if isinstance(source, str) and source else ""
        if _finite(rank) is None and _finite(percentile) is None:
            count = _finite(closes)
            noun = "close" if count == 1 else "closes"
            return f"{DASH} ({count:.0f} {words + ' ' if words else ''}{noun})" if count else DASH
        return f"{self.number(rank, 0)}/{self.number(percentile, 0)}" + (f" {words}" if words else "")

    def quantity(self, units: Any, lot_size: Any) -> float | None:
        """An OI, volume or order quantity stored in units, in this style's unit (None when it cannot be told)."""
        x = _finite(units)
        if x is None or self.quantities == "units":
            return x
        lot = _finite(lot_size)
        return x / lot if lot else None

    def unit_words(self, lot_size: Any) -> str:
        """The unit of OI, volume and order quantities, as the views' headers state it."""
        lot = _finite(lot_size)
        size = f"{lot:g}" if lot else DASH
        if self.quantities == "contracts":
            return f"OI, volume and bid/ask quantities in contracts (lots of {size})"
        return f"OI, volume and bid/ask quantities in units (lot size {size})"
