"""Rule drift: what changed in the exchanges' option rules between two days' instrument dumps.

Compared per underlying (the dump's `name`) of each options segment: the weekdays its listed expiries fall on,
its number of weeklies (listed expiries that are not the last of their month), the lot size of each expiry,
its strike step (the finest step any of its expiries lists, `universe.strike_step`) and whether it is listed
at all. Comparing a day's dump with the previous session's names a rule change the day its contracts list:
the November 2024 cut to one weekly per exchange, the September 2025 Tuesday/Thursday swap, a lot-size
revision. Only what differs is returned; two dumps with the same rules give nothing. A holiday-moved expiry
adds its weekday while it is listed, and that is reported too: it is what the dump says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from g6_pipeline.instruments.dump import OPTION_SEGMENTS
from g6_pipeline.instruments.universe import strike_step

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RULES: tuple[str, ...] = ("listed", "delisted", "expiry_weekdays", "weeklies", "lot_size", "strike_step")
"""The kinds of change `rule_drift` reports."""


@dataclass(frozen=True)
class UnderlyingRules:
    """The option rules one dump shows for one underlying."""

    expiry_weekdays: tuple[str, ...]
    weeklies: int
    lot_sizes: Mapping[date, tuple[int, ...]]
    strike_step: float


@dataclass(frozen=True)
class RuleChange:
    """One rule of one underlying that differs between two dumps (`before`/`after` as readable text)."""

    exchange: str
    underlying: str
    rule: str
    before: str
    after: str

    def line(self) -> str:
        """`NFO NIFTY expiry_weekdays: THURSDAY → TUESDAY`."""
        return f"{self.exchange} {self.underlying} {self.rule}: {self.before} → {self.after}"


def option_rules(dump: pd.DataFrame) -> dict[tuple[str, str], UnderlyingRules]:
    """(exchange, underlying) → its rules, over the option contracts of a typed dump (`instruments.dump`)."""
    segments = set(OPTION_SEGMENTS.values())
    options = dump.loc[dump["segment"].isin(segments) & dump["instrument_type"].isin(["CE", "PE"])]
    options = options.loc[options["expiry"].notna()]
    out = {}
    for (exchange, name), rows in options.groupby(["exchange", "name"], sort=True):
        expiries = sorted(set(rows["expiry"]))
        last_of_month = {max(e for e in expiries if (e.year, e.month) == (d.year, d.month)) for d in expiries}
        by_expiry = {e: rows.loc[rows["expiry"] == e] for e in expiries}
        lots = {e: tuple(sorted({int(n) for n in group["lot_size"]})) for e, group in by_expiry.items()}
        steps = [strike_step(group["strike"].to_numpy("float64")) for group in by_expiry.values()]
        finite = [s for s in steps if s == s]
        out[(str(exchange), str(name))] = UnderlyingRules(
            expiry_weekdays=tuple(WEEKDAYS[i] for i in sorted({e.weekday() for e in expiries})),
            weeklies=len(expiries) - len(last_of_month),
            lot_sizes=lots,
            strike_step=min(finite) if finite else float("nan"),
        )
    return out


def rule_drift(previous: pd.DataFrame, current: pd.DataFrame) -> list[RuleChange]:
    """Every option rule that differs from the `previous` dump to the `current` one (see the module docstring),
    ordered by exchange, underlying and `RULES`."""
    before, after = option_rules(previous), option_rules(current)
    changes: list[RuleChange] = []
    for key in sorted(set(before) | set(after)):
        exchange, name = key
        if key not in before:
            changes.append(RuleChange(exchange, name, "listed", "not listed", _describe(after[key])))
        elif key not in after:
            changes.append(RuleChange(exchange, name, "delisted", _describe(before[key]), "not listed"))
        else:
            changes.extend(_compare(exchange, name, before[key], after[key]))
    order = {rule: i for i, rule in enumerate(RULES)}
    return sorted(changes, key=lambda c: (c.exchange, c.underlying, order[c.rule]))


def _compare(exchange: str, name: str, old: UnderlyingRules, new: UnderlyingRules) -> list[RuleChange]:
    out = []
    if old.expiry_weekdays != new.expiry_weekdays:
        out.append(RuleChange(exchange, name, "expiry_weekdays", ", ".join(old.expiry_weekdays),
                              ", ".join(new.expiry_weekdays)))
    if old.weeklies != new.weeklies:
        out.append(RuleChange(exchange, name, "weeklies", str(old.weeklies), str(new.weeklies)))
    known_lots = {lot for lots in old.lot_sizes.values() for lot in lots}
    for expiry, lots in sorted(new.lot_sizes.items()):
        was = old.lot_sizes.get(expiry)
        if was is not None and was != lots:
            out.append(RuleChange(exchange, name, "lot_size", f"{expiry}: {_lots(was)}", f"{expiry}: {_lots(lots)}"))
        elif was is None and not set(lots) <= known_lots:
            out.append(RuleChange(exchange, name, "lot_size", f"listed expiries: {_lots(tuple(sorted(known_lots)))}",
                                  f"new expiry {expiry}: {_lots(lots)}"))
    if not _same(old.strike_step, new.strike_step):
        out.append(RuleChange(exchange, name, "strike_step", f"{old.strike_step:g}", f"{new.strike_step:g}"))
    return out


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _lots(lots: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in lots)


def _describe(rules: UnderlyingRules) -> str:
    lots = sorted({lot for values in rules.lot_sizes.values() for lot in values})
    return (f"expiries on {', '.join(rules.expiry_weekdays)}, {rules.weeklies} weeklies, lot size {_lots(tuple(lots))}, "
            f"strike step {rules.strike_step:g}")
