"""The vocabularies of G6's data: row sources, expiry tags, IV and IV-rank statuses, build-up labels, PCR scopes,
minute kinds. Plain Python (no Arrow), so the settings and the CLI load without the columnar stack;
`core.schema` uses them in the one schema and re-exports them.
"""

from __future__ import annotations

from typing import Literal

SOURCES: tuple[str, ...] = ("kite", "synthetic", "mock", "kite_historical", "classic_import", "bhavcopy")
"""Where a row came from: a live provider, Kite's historical candles (a repaired gap), the original G6's CSV, or
an exchange's end-of-day F&O bhavcopy (one close-of-day chain per day)."""
SIMULATED_SOURCES: frozenset[str] = frozenset({"synthetic", "mock"})
"""Sources that are simulated data, never to be mixed with (or allowed to overwrite) collected data."""
CLOSE_OF_DAY_SOURCES: frozenset[str] = frozenset({"bhavcopy"})
"""Sources that hold one minute a day by design: an exchange's end-of-day file, stamped at the close (15:29).
Such a day is complete with that one minute (`history.quality.expected_minutes`); it is history for the IV
rank and for study, never a typical intraday day of the weekday master (`history.seal.fold_refusal`)."""
REPAIR_SOURCE = "kite_historical"
"""The source of a minute refilled after the fact from Kite's historical candles (gap repair)."""
REPAIRED_SOURCES: frozenset[str] = frozenset({REPAIR_SOURCE})
"""Sources of repaired minutes: a day's minutes are counted live (any other source), repaired, or missing."""
MINUTE_KINDS: tuple[str, ...] = ("live", "repaired", "missing")
"""How a day's session minutes are counted: collected as they happened, repaired afterwards, or missing."""

ExpiryTag = Literal["this_week", "next_week", "this_month", "next_month"]
EXPIRY_TAGS: tuple[ExpiryTag, ...] = ("this_week", "next_week", "this_month", "next_month")
"""Every expiry tag, in the order of the original's bit masks (1, 2, 4, 8)."""

IV_STATUSES: tuple[str, ...] = ("ok", "below_intrinsic", "above_bound", "bad_input", "expired", "stale")
"""Why an IV is what it is: `ok` (finite IV) or the reason it is NaN (`stale`: the leg's quote had not
advanced, so its price is not this minute's and no IV or Greek is computed from it)."""

BUILDUP_LABELS: tuple[str, ...] = ("long_buildup", "short_buildup", "short_covering", "long_unwinding", "")
"""OI build-up from the signs of price change and OI change vs the previous close ('' when unknown/flat)."""

PCR_SCOPES: tuple[str, ...] = ("full", "window")
"""What an expiry's `chain_pcr`/`chain_max_pain` cover: every listed strike, or (when its whole chain did not
fit the minute's quote budget) only the stored window."""

IV_RANK_STATUSES: tuple[str, ...] = ("ok", "short_history", "no_atm_iv", "flat_history")
"""Why an IV rank is what it is: `ok`, or the reason it is NaN (fewer stored daily closes than the configured
minimum, no ATM IV this minute, or a period whose high equals its low: the rank alone is NaN then)."""

IV_HISTORY_SOURCES: tuple[str, ...] = ("collected", "bhavcopy", "collected+bhavcopy", "simulated", "unknown")
"""What the daily closes behind an IV rank are (`iv_history_source_<tag>`): closes of collected sessions, of
imported bhavcopy days (history before the first collected day), both, or of simulated sessions; `unknown` for
closes whose source was not told. A collected minute's rank rests on collected and bhavcopy closes only, a
simulated minute's on simulated ones (`analytics.iv_rank.history_for`). '' where the tag has no closes."""
