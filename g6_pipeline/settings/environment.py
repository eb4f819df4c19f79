"""The environment side of the configuration: which variables override which key, how their text is parsed,
and what replaces the original platform's `G6_*` flags that G6 does not read.

Environment values are text by nature; each is parsed for the type of its key: booleans accept only
`true`/`false`/`1`/`0`, numbers must be plain numbers, a list is comma-separated
(`G6_UNDERLYINGS=NIFTY,MIDCPNIFTY,BANKEX,RELIANCE`). Any other `G6_*` variable is reported by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import BaseModel

ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "G6_DATA_DIR": ("data_dir",),
    "G6_PROVIDER": ("provider",),
    "G6_LOG_LEVEL": ("log_level",),
    "G6_UNDERLYINGS": ("underlyings",),
    "G6_MARKET_HOURS_GATE": ("collection", "market_hours_gate"),
    "G6_PUSHGATEWAY_URL": ("metrics", "pushgateway_url"),
    "G6_INFLUX_URL": ("influx", "url"),
    "G6_INFLUX_ORG": ("influx", "org"),
    "G6_INFLUX_BUCKET": ("influx", "bucket"),
    "G6_INFLUX_TOKEN": ("influx", "token"),
    "G6_KITE_ROOT_URL": ("kite", "root_url"),
    "G6_LIVE_AUTH_TOKEN": ("live", "auth_token"),
    "KITE_API_KEY": ("kite", "api_key"),
    "KITE_API_SECRET": ("kite", "api_secret"),
    "KITE_ACCESS_TOKEN": ("kite", "access_token"),
}
"""Environment variable → configuration key. `G6_CONFIG_DIR` (where the files are) is read separately."""

OTHER_KNOWN = frozenset({"G6_CONFIG_DIR", "G6_OBSERVABILITY_DIR"})
"""`G6_*` variables read outside the overrides (`G6_OBSERVABILITY_DIR`: where scripts/install-observability.sh
puts Prometheus and its tools)."""

REPLACED_FLAGS: dict[str, str] = {
    "G6_COLLECTION_INTERVAL": "not needed: G6 collects once per session minute (the Dagster minute sensor)",
    "G6_INFLUX_ENABLED": "use influx.url / G6_INFLUX_URL (the InfluxDB sink is on exactly when a URL is set)",
    "G6_ENABLE_METRIC_GROUPS": "use metrics.groups in platform_config.json (the groups recorded)",
    "G6_DISABLE_METRIC_GROUPS": "use metrics.groups in platform_config.json (list only the groups to record)",
    "G6_CSV_RETENTION_DAYS": "use storage.raw_retention_days in platform_config.json (classic CSV is kept)",
    "G6_METRICS_ENABLED": "use metrics.pushgateway_url / G6_PUSHGATEWAY_URL (metrics are pushed when it is set)",
    "G6_METRICS_PORT": "use metrics.pushgateway_url (G6 pushes to a Pushgateway, it serves no metrics port)",
    "G6_MARKET_HOURS_GATING": "use G6_MARKET_HOURS_GATE (true/false/1/0) or collection.market_hours_gate",
    "G6_CSV_DIR": "use data_dir / G6_DATA_DIR (the classic CSV files live under it)",
    "G6_ENV": "use one configuration folder per environment (G6_CONFIG_DIR)",
    "G6_ENABLE_GREEKS": "not needed: IV and Greeks are always computed",
    "G6_ENABLE_IV": "not needed: IV and Greeks are always computed",
    "G6_VOL_SURFACE": "not needed: G6 has no volatility-surface series",
    "G6_ENABLE_PANELS": "not needed: the panels are always written",
    "G6_ENABLE_SSE": "use `g6 serve` (live.host, live.port)",
    "G6_SSE_PORT": "use live.port in platform_config.json (`g6 serve`)",
    "G6_ADAPTIVE_CONTROLLER": "not needed: G6 has no adaptive controller",
}
"""The original platform's well-known flags that G6 does not read, and what to use instead."""

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class EnvValueError(ValueError):
    """An environment value that does not parse for its key's type."""


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One warning per `G6_*` variable G6 does not read, naming what replaces the original's flags."""
    out = []
    for name in sorted(environ):
        if not name.startswith("G6_") or name in ENV_OVERRIDES or name in OTHER_KNOWN:
            continue
        instead = REPLACED_FLAGS.get(name)
        hint = f"; {instead}" if instead else ""
        out.append(f"environment variable {name} is not used by G6 and has no effect{hint}")
    return out


def field_kind(model: type[BaseModel], key_path: tuple[str, ...]) -> type:
    """The type (bool, int, float, str, or list for a list of strings) of the key at `key_path` in `model`."""
    annotation: Any = model
    for part in key_path:
        annotation = annotation.model_fields[part].annotation
    if get_origin(annotation) is list or any(get_origin(a) is list for a in get_args(annotation)):
        return list
    for kind in (bool, int, float):
        if annotation is kind or kind in get_args(annotation):
            return kind
    return str


def parse_env(var: str, text: str, kind: type) -> Any:
    """The value of `var` for a key of type `kind`; raise `EnvValueError` naming the variable."""
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise EnvValueError(f"env {var}={text!r}: not a boolean (use true, false, 1 or 0)")
    if kind is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in (int, float):
        try:
            return int(text) if kind is int else float(text)
        except ValueError:
            raise EnvValueError(f"env {var}={text!r}: not a number") from None
    return text
