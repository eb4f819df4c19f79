"""Which underlyings a configuration collects, and the settings of each before its own keys override them.

The list comes from `underlyings` (names and groups; `G6_UNDERLYINGS` overrides it), else from the names of
`indices_config.json`, else `DEFAULT_UNDERLYINGS`. Each name gets the defaults of its kind
(`underlying_defaults`), then the configured ones of its kind (`kinds.stock`, `kinds.index`), then its own
entry in `indices_config.json`, key by key. A name G6
does not know is accepted only with an entry that gives its `exchange` (a stock listed after G6's table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from g6_pipeline.core.underlyings import (
    DEFAULT_UNDERLYINGS,
    INDEX_UNDERLYINGS,
    NAME_PATTERN,
    STOCK_OPTIONS_EXCHANGE,
    UnknownUnderlyingError,
    expand,
    kind_of,
    spot_key_of,
)
from g6_pipeline.core.vocabulary import EXPIRY_TAGS

INDEX_STRIKES = 10
"""Default strikes collected on each side of ATM for an index."""
STOCK_STRIKES = 5
"""Default strikes collected on each side of ATM for a stock (a stock's strikes are wider apart relative to
its price, and its option trading sits near the money)."""
STOCK_TAGS: tuple[str, ...] = ("this_month", "next_month")
"""A stock's default expiries: stock options are monthly only."""


def underlying_defaults(name: str, exchange: str | None = None) -> dict[str, Any]:
    """The settings of an underlying before its own keys: by kind (index or stock) and the index table.

    An index: its table row, its weeklies where the exchange lists them, ±`INDEX_STRIKES` strikes, the window
    widened to the 25-delta wings. A stock (or a name not in the tables): NFO options, its price `NSE:<NAME>`,
    this and next month, ±`STOCK_STRIKES` strikes, no widening (the quote budget stays predictable).
    """
    index = INDEX_UNDERLYINGS.get(name)
    if index is not None:
        tags = list(EXPIRY_TAGS) if index.weekly else ["this_month", "next_month"]
        return {"kind": "index", "exchange": index.exchange, "spot_key": index.spot_key, "expiry_tags": tags,
                "strikes_below": INDEX_STRIKES, "strikes_above": INDEX_STRIKES, "wings": True}
    options = exchange or STOCK_OPTIONS_EXCHANGE
    spot = spot_key_of(name) if options == STOCK_OPTIONS_EXCHANGE else f"BSE:{name}"
    return {"kind": "stock", "exchange": options, "spot_key": spot, "expiry_tags": list(STOCK_TAGS),
            "strikes_below": STOCK_STRIKES, "strikes_above": STOCK_STRIKES, "wings": False}


def _error(key: str, value: Any, reason: str) -> PydanticCustomError:
    """A validation error the loader reports under `key` (not the model's top level), with `value`."""
    return PydanticCustomError("underlying", "{reason}", {"key": key, "value": value, "reason": reason})


def _listed(raw: Any) -> list[str]:
    """The names of an `underlyings` value (a list of strings)."""
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _error("underlyings", raw, "must be a list of underlying names and groups")
    names = [x.strip() for x in raw if x.strip()]
    if not names:
        raise _error("underlyings", raw, "names no underlying")
    return names


def _overrides(raw: Any) -> dict[str, dict[str, Any]]:
    """`indices` as name → the keys it sets (a settings object counts by the keys it was given)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _error("indices", raw, "must be an object with one entry per underlying")
    out: dict[str, dict[str, Any]] = {}
    for name, entry in raw.items():
        if isinstance(entry, BaseModel):
            entry = entry.model_dump(exclude_unset=True)
        out[str(name)] = dict(entry) if isinstance(entry, Mapping) else entry
    return out


def _names(listed: Any, overrides: Mapping[str, Any]) -> list[str]:
    """The configured underlyings, groups expanded, in order, each once; a name with its own entry in
    `indices` is kept as it is written there (a stock G6's table lacks)."""
    if listed is None:
        return list(overrides) or list(DEFAULT_UNDERLYINGS)
    out: dict[str, None] = {}
    for position, name in enumerate(_listed(listed)):
        own = name if name in overrides else name.upper() if name.upper() in overrides else None
        if own is not None:
            out[own] = None
            continue
        try:
            out.update(dict.fromkeys(expand([name])))
        except UnknownUnderlyingError as exc:
            raise _error(f"underlyings.{position}", name, str(exc)) from None
    return list(out)


def _kind_overrides(raw: Any, model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """`kinds` as kind → the keys it sets; a malformed section adds nothing here (the model reports it under
    `kinds`, once, rather than under every underlying)."""
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for kind, entry in raw.items():
        try:
            checked = model.model_validate(entry, strict=True)
        except ValueError:
            continue
        out[str(kind)] = checked.model_dump(exclude_none=True)
    return out


def resolve(data: Any, kind_model: type[BaseModel]) -> Any:
    """The raw settings with `indices` made complete for every configured underlying (a model's before-step).

    Raises a validation error naming the key (`underlyings.N` or `indices.NAME`) and the value of an unknown
    name, a malformed list, or a name whose entry is not an object.
    """
    if not isinstance(data, Mapping):
        return data
    overrides = _overrides(data.get("indices"))
    by_kind = _kind_overrides(data.get("kinds"), kind_model)
    names = _names(data.get("underlyings"), overrides)
    resolved: dict[str, Any] = {}
    for name in names:
        entry = overrides.get(name, {})
        if not isinstance(entry, Mapping):
            resolved[name] = entry  # the model reports the wrong type under indices.NAME
            continue
        if not NAME_PATTERN.fullmatch(name):
            raise _error(f"indices.{name}", name, "is not an underlying name (upper-case letters, digits, & and -)")
        if kind_of(name) is None and "exchange" not in entry:
            reason = f"{UnknownUnderlyingError(name)}; a stock missing from G6's table needs \"exchange\" in its entry"
            raise _error(f"indices.{name}", name, reason)
        defaults = underlying_defaults(name, entry.get("exchange") if isinstance(entry.get("exchange"), str) else None)
        kind = entry.get("kind", defaults["kind"])
        resolved[name] = {**defaults, **by_kind.get(str(kind), {}), **entry}
    return {**data, "indices": resolved}
