"""Which contracts make up an index's chain: exact `name` + segment selection, expiry tags, strike window.

Expiry tags follow the original: `this_week` is the nearest listed expiry, `next_week` the second nearest,
`this_month` the last expiry in the month of the nearest one, `next_month` the last expiry of the month
after. An index with no weekly contracts (one listed expiry per month) has no week tags. Expiries come
from the dump, never from weekday rules, so holiday-moved expiries are tagged as listed. A contract has
expired from 15:30 IST of its expiry date (`EXPIRY_TIME`): after the close on an expiry day the tags of a
minute (`tag_day`) roll to the next expiry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from g6_pipeline.core.clock import EXPIRY_TIME, to_ist
from g6_pipeline.instruments.dump import OPTION_SEGMENTS

CONTRACT_COLUMNS: tuple[str, ...] = ("instrument_token", "tradingsymbol", "expiry", "strike", "side", "lot_size")


class UniverseError(ValueError):
    """An index's chain cannot be built from the dump (no contracts, no live expiry)."""


def _exchange_options(dump: pd.DataFrame, exchange: str) -> pd.DataFrame:
    """The options of `exchange` in `dump` (its option segment, CE and PE), in `CONTRACT_COLUMNS` plus `name`."""
    segment = OPTION_SEGMENTS.get(exchange)
    if segment is None:
        raise UniverseError(f"no option segment known for exchange {exchange!r}")
    mask = (dump["segment"] == segment) & (dump["exchange"] == exchange) & dump["instrument_type"].isin(["CE", "PE"])
    return dump.loc[mask].rename(columns={"instrument_type": "side"}).loc[:, ["name", *CONTRACT_COLUMNS]]


def select_options(dump: pd.DataFrame, name: str, exchange: str) -> pd.DataFrame:
    """Options of `name` on `exchange`: exact `name` match and the exchange's option segment, never a substring."""
    options = _exchange_options(dump, exchange)
    return options.loc[options["name"] == name, list(CONTRACT_COLUMNS)].reset_index(drop=True)


def options_by_name(dump: pd.DataFrame, exchange: str) -> dict[str, pd.DataFrame]:
    """`select_options` of every name at once (one pass over a dump of two hundred underlyings)."""
    options = _exchange_options(dump, exchange)
    return {str(name): part.loc[:, list(CONTRACT_COLUMNS)].reset_index(drop=True)
            for name, part in options.groupby("name", sort=False)}


def has_weeklies(expiries: Sequence[date]) -> bool:
    """Whether any month lists two or more expiries (a weekly contract exists)."""
    months = [(d.year, d.month) for d in expiries]
    return len(set(months)) < len(months)


def tag_day(now: datetime) -> date:
    """The first day whose contracts are still live at `now` (tz-aware), the `today` of `resolve_expiry_tags`.

    The IST date of `now` until the expiry time, the day after from it: a contract expiring that day has
    expired, so the tags resolve from the next expiry on.
    """
    local = to_ist(now)
    return local.date() if local.time() < EXPIRY_TIME else local.date() + timedelta(days=1)


def resolve_expiry_tags(expiries: Sequence[date], today: date) -> dict[str, date]:
    """Tag → expiry for the live expiries (on or after `today`); tags that do not exist are absent."""
    live = sorted({d for d in expiries if d >= today})
    if not live:
        return {}
    tags: dict[str, date] = {}
    if has_weeklies(live):
        tags["this_week"] = live[0]
        if len(live) > 1:
            tags["next_week"] = live[1]
    first = live[0]
    tags["this_month"] = max(d for d in live if (d.year, d.month) == (first.year, first.month))
    ny, nm = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    following = [d for d in live if (d.year, d.month) == (ny, nm)]
    if following:
        tags["next_month"] = max(following)
    return tags


def strike_step(strikes: Sequence[float] | np.ndarray) -> float:
    """The chain's strike step: the smallest gap between listed strikes that occurs at least twice."""
    values = np.unique(np.asarray(strikes, dtype="float64"))
    gaps = np.round(np.diff(values), 6)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return math.nan
    uniq, counts = np.unique(gaps, return_counts=True)
    repeated = uniq[counts >= 2]
    return float(repeated.min() if repeated.size else uniq.min())


def atm_index(strikes: np.ndarray, center: float) -> int:
    """Position of the listed strike nearest to `center` in sorted `strikes` (ties go to the lower strike)."""
    return int(np.argmin(np.abs(strikes - center)))


def strike_window(strikes: Sequence[float] | np.ndarray, center: float, below: int, above: int) -> np.ndarray:
    """The listed strikes from `below` under the ATM strike to `above` over it (fewer at the list's edges)."""
    values = np.unique(np.asarray(strikes, dtype="float64"))
    if values.size == 0 or not math.isfinite(center):
        return values[:0]
    i = atm_index(values, center)
    return values[max(i - below, 0) : i + above + 1]


@dataclass(frozen=True)
class IndexUniverse:
    """The contracts of one index for one day, with its resolved expiry tags."""

    index: str
    exchange: str
    spot_key: str
    expiries: dict[str, date]
    """Requested tag → expiry, for the tags that exist in the dump."""
    unresolved: tuple[str, ...]
    """Requested tags the dump has no expiry for (e.g. week tags of a monthly-only index)."""
    contracts: pd.DataFrame
    """`CONTRACT_COLUMNS` for the resolved expiries, sorted by expiry, strike, side."""
    step: float
    lot_size: int
    strikes: dict[date, np.ndarray] = field(default_factory=dict)

    @cached_property
    def _expiry_rows(self) -> dict[date, tuple[np.ndarray, np.ndarray]]:
        """Row positions in `contracts` of each expiry, with their strikes (computed once per universe)."""
        expiry = self.contracts["expiry"].to_numpy(object)
        strike = self.contracts["strike"].to_numpy("float64")
        out = {}
        for e in set(self.expiries.values()):
            rows = np.flatnonzero(expiry == e)
            out[e] = (rows, strike[rows])
        return out

    @cached_property
    def quote_keys(self) -> np.ndarray:
        """`EXCHANGE:tradingsymbol` of every contract, aligned with `contracts`."""
        prefix = self.exchange + ":"
        return np.array([prefix + s for s in self.contracts["tradingsymbol"].tolist()], dtype=object)

    def rows_of(self, expiry: date) -> tuple[np.ndarray, np.ndarray]:
        """(row positions in `contracts`, their strikes) of every listed contract of `expiry`."""
        return self._expiry_rows[expiry]

    def windows(self, centers: Mapping[date, float], below: int, above: int) -> dict[date, np.ndarray]:
        """Each resolved expiry's `strike_window` around its centre (NaN centre: no strikes)."""
        return {
            e: strike_window(self.strikes[e], centers.get(e, math.nan), below, above)
            for e in set(self.expiries.values())
        }

    def legs(self, centers: Mapping[date, float], below: int, above: int) -> pd.DataFrame:
        """Contracts in the strike window around each expiry's centre, one row per (tag, contract)."""
        return self.legs_at(self.windows(centers, below, above))

    def legs_at(self, windows: Mapping[date, np.ndarray]) -> pd.DataFrame:
        """Contracts of each expiry whose strike is in its window, one row per (tag, contract)."""
        if not self.expiries:
            return pd.DataFrame(columns=[*CONTRACT_COLUMNS[:3], "expiry_tag", *CONTRACT_COLUMNS[3:]])
        picked: list[np.ndarray] = []
        tags: list[str] = []
        for tag, expiry in self.expiries.items():
            window = windows.get(expiry, np.empty(0))
            rows, strikes = self._expiry_rows[expiry]
            inside = np.isin(strikes, window)
            if np.isnan(window).any():  # pandas `isin` matches NaN with NaN; numpy does not
                inside |= np.isnan(strikes)
            picked.append(rows[inside])
            tags.extend([tag] * int(inside.sum()))
        out = self.contracts.take(np.concatenate(picked)).reset_index(drop=True)
        out.insert(3, "expiry_tag", pd.Series(tags, dtype="str"))
        return out


def build_universe(
    dump: pd.DataFrame | Mapping[str, pd.DataFrame], index: str, exchange: str, spot_key: str, tags: Sequence[str],
    today: date,
) -> IndexUniverse:
    """Select an underlying's options from its exchange's dump (or from `options_by_name` of it) and resolve the
    requested expiry tags."""
    if isinstance(dump, pd.DataFrame):
        options = select_options(dump, index, exchange)
    else:
        options = dump.get(index, pd.DataFrame(columns=list(CONTRACT_COLUMNS)))
    if options.empty:
        raise UniverseError(f"{index}: no {OPTION_SEGMENTS.get(exchange)} contracts named {index!r} in the {exchange} dump")
    available = resolve_expiry_tags(list(options["expiry"].dropna().unique()), today)
    expiries = {t: available[t] for t in tags if t in available}
    unresolved = tuple(t for t in tags if t not in available)
    if not expiries:
        raise UniverseError(f"{index}: none of the expiry tags {list(tags)} has a live expiry in the {exchange} dump")
    wanted = set(expiries.values())
    contracts = (
        options.loc[options["expiry"].isin(wanted)]
        .sort_values(["expiry", "strike", "side"], kind="stable")
        .reset_index(drop=True)
    )
    strikes = {e: np.unique(contracts.loc[contracts["expiry"] == e, "strike"].to_numpy("float64")) for e in wanted}
    nearest = min(wanted)
    lots = contracts.loc[contracts["expiry"] == nearest, "lot_size"]
    return IndexUniverse(
        index=index,
        exchange=exchange,
        spot_key=spot_key,
        expiries=expiries,
        unresolved=unresolved,
        contracts=contracts,
        step=strike_step(strikes[nearest]),
        lot_size=int(lots.mode().iloc[0]),
        strikes=strikes,
    )


def strike_window_centre(strikes: np.ndarray, calls: np.ndarray, puts: np.ndarray) -> float:
    """Where to centre an expiry's strike window: K + C − P at the strike where |C − P| is smallest.

    Undiscounted put-call parity, good enough to pick the strikes to collect (the priced forward is
    `analytics.forward`); NaN when no strike has both prices.
    """
    diff = np.asarray(calls, dtype="float64") - np.asarray(puts, dtype="float64")
    ok = np.isfinite(diff)
    if not ok.any():
        return math.nan
    k = np.asarray(strikes, dtype="float64")[ok]
    d = diff[ok]
    i = int(np.argmin(np.abs(d)))
    return float(k[i] + d[i])
