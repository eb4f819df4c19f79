"""Data-quality checks over one day's option rows (`schema.OPTION_SCHEMA`), pure and fast.

Each returns a `CheckResult` (passed, value, description, details). `DAY_CHECKS` names the checks every sealed
day is given, what each asserts and whether it is blocking: a day failing a blocking check is never folded
into the weekday master. The Dagster asset checks publish the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from g6_pipeline.core.schema import CLOSE_OF_DAY_SOURCES, MINUTE_KINDS, REPAIRED_SOURCES, SIMULATED_SOURCES
from g6_pipeline.storage.parquet import ROW_KEY

TICK = 0.05


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    passed: bool
    value: float
    description: str
    details: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DayCheck:
    """One check of a sealed day: what it asserts, and whether a failure keeps the day out of the weekday master."""

    description: str
    blocking: bool


DAY_CHECKS: dict[str, DayCheck] = {
    "completeness": DayCheck(
        "Every session minute was collected (live or repaired), all of one source family; a close-of-day day "
        "(an imported bhavcopy) holds its one closing minute.", blocking=True),
    "no_duplicates": DayCheck("No (minute, instrument) row appears twice.", blocking=True),
    "iv_coverage": DayCheck("At least 90% of quoted legs have a finite implied volatility.", blocking=False),
    "static_arbitrage": DayCheck(
        "No call-spread, butterfly or put-call-parity violation beyond the quoted spread.", blocking=False),
}
"""The checks of a sealed day. Missing minutes and duplicated rows make the day unfit to average (blocking);
missing IVs and quoted arbitrage happen in real markets and are reported."""


def _checks(
    options: pd.DataFrame, expected_minutes: int, rate: float, quarantined: Sequence[str]
) -> dict[str, Callable[[], CheckResult]]:
    """Each check of `DAY_CHECKS`, ready to run over a day's option rows."""
    return {
        "completeness": lambda: completeness(options, expected_minutes, quarantined),
        "no_duplicates": lambda: duplicates(options),
        "iv_coverage": lambda: iv_coverage(options),
        "static_arbitrage": lambda: static_arbitrage(options, rate),
    }


def day_checks(
    options: pd.DataFrame, expected_minutes: int, rate: float, quarantined: Sequence[str] = ()
) -> dict[str, CheckResult]:
    """Every check of `DAY_CHECKS` over a sealed day's option rows."""
    return {name: run() for name, run in _checks(options, expected_minutes, rate, quarantined).items()}


CLOSE_OF_DAY_MINUTES = 1
"""The minutes a close-of-day day holds by design: its closing minute."""


def close_of_day_only(sources: Iterable[str]) -> bool:
    """Whether a day of these sources is close-of-day history (`schema.CLOSE_OF_DAY_SOURCES`) and nothing else."""
    held = set(sources)
    return bool(held) and held <= CLOSE_OF_DAY_SOURCES


def expected_minutes(options: pd.DataFrame, session_minutes: int) -> int:
    """The minutes a stored day should hold: the session's, or `CLOSE_OF_DAY_MINUTES` for a day whose rows all
    come from a close-of-day source (an exchange's end-of-day file holds the close and nothing before it, so
    the 374 minutes before it are not missing: they never existed in that source). A day mixing such rows with
    collected ones is measured against the session."""
    if len(options) and "source" in options and close_of_day_only(options["source"].dropna().astype(str)):
        return CLOSE_OF_DAY_MINUTES
    return session_minutes


def completeness(options: pd.DataFrame, expected_minutes: int, quarantined: Sequence[str] = ()) -> CheckResult:
    """Minutes collected (distinct timestamps) vs the session's expected minutes, counted live, repaired and
    missing (`minute_kinds`) and per source; passes when none is missing and the day does not mix simulated and
    collected minutes. Repaired minutes count as collected: a day repaired whole passes. `quarantined` names
    the day's unreadable slices moved aside (their minutes are missing unless repaired)."""
    kinds = minute_kinds(options, expected_minutes)
    collected = kinds["live"] + kinds["repaired"]
    share = collected / expected_minutes if expected_minutes > 0 else float("nan")
    per_source = minutes_per_source(options)
    mixed = len({source in SIMULATED_SOURCES for source in per_source}) > 1
    sources = ", ".join(f"{n} {source}" for source, n in per_source.items())
    return CheckResult(
        passed=kinds["missing"] == 0 and not mixed,
        value=share,
        description=(
            f"{collected} of {expected_minutes} session minutes collected ({kinds['live']} live, "
            f"{kinds['repaired']} repaired, {kinds['missing']} missing)"
            + (f"; by source: {sources}" if sources else "")
            + ("; the day mixes simulated and collected minutes" if mixed else "")
            + (f"; quarantined (unreadable, moved aside): {', '.join(quarantined)}" if quarantined else "")
        ),
        details={
            "minutes_collected": collected,
            "minutes_expected": expected_minutes,
            **{f"minutes_{kind}": n for kind, n in kinds.items()},
            **{f"minutes_{source}": n for source, n in per_source.items()},
            "files_quarantined": len(quarantined),
        },
    )


def minute_kinds(options: pd.DataFrame, expected_minutes: int) -> dict[str, int]:
    """The day's minutes by kind (`MINUTE_KINDS`): live (a row of any source but a repaired one), repaired
    (only `REPAIRED_SOURCES` rows) and missing (expected minutes with no row)."""
    if len(options):
        source = options["source"].astype(object) if "source" in options else pd.Series(None, index=options.index)
        repaired = source.isin(REPAIRED_SOURCES)
        live = int(options.loc[~repaired, "timestamp"].nunique())
        both = int(options["timestamp"].nunique())
    else:
        live = both = 0
    counts = {"live": live, "repaired": both - live, "missing": max(expected_minutes - both, 0)}
    return {kind: counts[kind] for kind in MINUTE_KINDS}


def kinds_of(result: CheckResult) -> dict[str, int]:
    """The minutes by kind that a `completeness` result counted."""
    return {kind: int(result.details[f"minutes_{kind}"]) for kind in MINUTE_KINDS}


def minutes_per_source(options: pd.DataFrame) -> dict[str, int]:
    """Distinct minutes per source, sorted by source (rows without one count as 'unknown')."""
    if not len(options):
        return {}
    source = options["source"].astype(object).fillna("unknown") if "source" in options else "unknown"
    counts = options.assign(_source=source).groupby("_source")["timestamp"].nunique()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def duplicates(options: pd.DataFrame) -> CheckResult:
    """Rows that repeat a row key (`storage.parquet.ROW_KEY`: the minute, the tag and the contract by its
    terms); passes when there are none. The tag is part of the key: one instrument serves two tags when their
    expiries coincide."""
    count = int(options.duplicated(subset=list(ROW_KEY)).sum())
    return CheckResult(
        passed=count == 0,
        value=float(count),
        description=f"{count} duplicate (minute, instrument) rows",
        details={"duplicate_rows": count, "rows": len(options)},
    )


def iv_coverage(options: pd.DataFrame, min_share: float = 0.9) -> CheckResult:
    """Share of legs with a quote (finite positive last price) and a finite IV; passes at `min_share` or more."""
    quoted = np.isfinite(options["last_price"].to_numpy(float)) & (options["last_price"].to_numpy(float) > 0)
    finite = quoted & np.isfinite(options["iv"].to_numpy(float))
    share = float(finite.sum() / len(options)) if len(options) else float("nan")
    return CheckResult(
        passed=bool(len(options)) and share >= min_share,
        value=share,
        description=f"{int(finite.sum())} of {len(options)} legs quoted with a finite IV ({share:.1%})",
        details={"legs": len(options), "legs_quoted": int(quoted.sum()), "legs_with_iv": int(finite.sum())},
    )


def _price_and_spread(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    bid, ask, last = (frame[c].to_numpy(float) for c in ("bid", "ask", "last_price"))
    quoted = np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask >= bid)
    price = np.where(quoted, (bid + ask) / 2, last)
    half = np.where(quoted, (ask - bid) / 2, 0.0)
    return price, half


def static_arbitrage(options: pd.DataFrame, rate: float, max_violations: int = 0) -> CheckResult:
    """Count static-arbitrage violations per minute and expiry, beyond the quoted spread and one tick.

    Calls must not increase with strike and must be convex in strike (adjacent strikes); put-call parity
    `C − P = e^(−r·t)·(F − K)` must hold within the two half-spreads, F being the forward the prices imply
    (the median over the minute's strikes of the expiry: the stored forward is read from one pair's last
    prices and carries their noise). Prices are mids where a two-sided quote exists, else last prices.
    """
    frame = options[np.isfinite(options["last_price"].to_numpy(float))]
    # an expiry collected under two tags appears twice: price it once
    frame = frame.drop_duplicates(subset=["timestamp", "expiry", "strike", "side"])
    calls = frame[frame["side"] == "CE"].sort_values(["timestamp", "expiry", "strike"], kind="stable")
    price, half = _price_and_spread(calls)
    group = calls.groupby(["timestamp", "expiry"], sort=False).ngroup().to_numpy()
    strike = calls["strike"].to_numpy(float)
    same1 = np.r_[False, group[1:] == group[:-1]]
    allowance = half + np.r_[0.0, half[:-1]] + TICK
    monotone = same1 & (price - np.r_[np.nan, price[:-1]] > allowance)
    same2 = same1 & np.r_[False, same1[:-1]]
    k0, k1, k2 = np.r_[np.nan, np.nan, strike[:-2]], np.r_[np.nan, strike[:-1]], strike
    c0, c1, c2 = np.r_[np.nan, np.nan, price[:-2]], np.r_[np.nan, price[:-1]], price
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = (k2 - k1) / (k2 - k0)
        interpolated = weight * c0 + (1 - weight) * c2
        slack = np.r_[0.0, 0.0, half[:-2]] + np.r_[0.0, half[:-1]] + half + TICK
        convex = same2 & (c1 - interpolated > slack)

    key = ["timestamp", "expiry", "strike"]
    pairs = calls[[*key, "t_years"]].assign(c=price, hc=half)
    puts = frame[frame["side"] == "PE"]
    put_price, put_half = _price_and_spread(puts)
    pairs = pairs.merge(puts[key].assign(p=put_price, hp=put_half), on=key, how="inner")
    discount = np.exp(-rate * pairs["t_years"])
    implied = (pairs["c"] - pairs["p"]) / discount + pairs["strike"]
    forward = implied.groupby([pairs["timestamp"], pairs["expiry"]]).transform("median")
    parity_gap = (pairs["c"] - pairs["p"]) - discount * (forward - pairs["strike"])
    parity = np.abs(parity_gap.to_numpy(float)) > (pairs["hc"] + pairs["hp"]).to_numpy(float) + TICK

    counts = {
        "call_not_decreasing": int(np.nansum(monotone)),
        "call_not_convex": int(np.nansum(convex)),
        "put_call_parity": int(np.nansum(parity)),
        "parity_pairs_checked": len(pairs),
    }
    total = counts["call_not_decreasing"] + counts["call_not_convex"] + counts["put_call_parity"]
    return CheckResult(
        passed=total <= max_violations,
        value=float(total),
        description=(
            f"{total} static-arbitrage violations: {counts['call_not_decreasing']} non-decreasing call steps, "
            f"{counts['call_not_convex']} non-convex call triples, {counts['put_call_parity']} parity breaches"
        ),
        details={k: float(v) for k, v in counts.items()},
    )
