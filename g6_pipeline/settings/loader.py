"""Load the configuration: embedded defaults, then `config/*.json`, then a short list of environment overrides.

Every value remembers where it came from (`g6 config show` prints it). Any problem raises `ConfigError`
with one message that names the file (or variable), the key and the offending value. Values are checked
strictly: `"no"` is not a boolean and `"3"` is not a number. Relative paths are resolved against the
configuration folder (`kite.token_file`) and its parent (`data_dir`); with no configuration folder, against
the current directory. `G6_*` variables that G6 does not read become warnings (`LoadedSettings.warnings`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from g6_pipeline.settings.environment import (
    ENV_OVERRIDES,
    EnvValueError,
    field_kind,
    parse_env,
    unknown_variables,
)
from g6_pipeline.settings.model import Settings
from g6_pipeline.util.redact import MASK, mask_secrets

PLATFORM_FILE = "platform_config.json"
INDICES_FILE = "indices_config.json"
DEFAULT_CONFIG_DIR = "config"
log = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"kite.api_secret", "kite.access_token", "influx.token", "live.auth_token"})


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class LoadedSettings:
    """Validated settings plus the source of every key that did not come from the defaults."""

    settings: Settings
    config_dir: Path
    sources: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Problems that do not stop G6: unknown `G6_*` environment variables."""

    def source_of(self, dotted_key: str) -> str:
        """Where a key's value came from: a file path, an environment variable, or 'default' (a key a file's
        section does not name is a default, though the section is in the file)."""
        parts = dotted_key.split(".")
        for end in range(len(parts), 0, -1):
            found = self.sources.get(".".join(parts[:end]))
            if found:
                return found
        return "default"


def config_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The configuration folder: `G6_CONFIG_DIR`, else `./config`."""
    env = os.environ if environ is None else environ
    return Path(env.get("G6_CONFIG_DIR") or DEFAULT_CONFIG_DIR)


def load_settings(config_dir: Path | None = None, environ: Mapping[str, str] | None = None) -> LoadedSettings:
    """Read and validate the configuration; raise `ConfigError` naming file, key and value on any problem."""
    env = os.environ if environ is None else environ
    folder = config_dir if config_dir is not None else config_dir_from_env(env)
    if "G6_CONFIG_DIR" in env and not folder.is_dir():
        raise ConfigError(f"G6_CONFIG_DIR={folder}: not a directory")

    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    platform_path = folder / PLATFORM_FILE
    indices_path = folder / INDICES_FILE
    platform = _read_json_object(platform_path)
    if platform is not None:
        if "indices" in platform:
            raise ConfigError(f"{platform_path}: key 'indices' belongs in {INDICES_FILE}")
        raw.update(platform)
        _record_sources(platform, (), str(platform_path), sources)
    indices = _read_json_object(indices_path)
    if indices is not None:
        raw["indices"] = indices
        _record_sources(indices, ("indices",), str(indices_path), sources)

    _apply_env(env, raw, sources)
    try:
        settings = Settings.model_validate_json(json.dumps(raw, default=str), strict=True)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources, platform_path)) from None
    resolve_paths(settings, folder, folder.is_dir())
    warnings = tuple(unknown_variables(env))  # reported once by the process that uses them (its setup)
    return LoadedSettings(settings=settings, config_dir=folder, sources=sources, warnings=warnings)


def _apply_env(env: Mapping[str, str], raw: dict[str, Any], sources: dict[str, str]) -> None:
    """Put every set override into `raw`, parsed for its key's type, and record its source."""
    for var, key_path in ENV_OVERRIDES.items():
        value = env.get(var)
        if value is None or value == "":
            continue
        section: dict[str, Any] = raw
        for part in key_path[:-1]:
            existing = section.get(part)
            if existing is None:
                existing = {}
            elif not isinstance(existing, dict):
                raise ConfigError(f"{sources.get(part, 'config')}: key '{part}' must be an object")
            section[part] = existing
            section = existing
        try:
            section[key_path[-1]] = parse_env(var, value, field_kind(Settings, key_path))
        except EnvValueError as exc:
            raise ConfigError(str(exc)) from None
        sources[".".join(key_path)] = f"env {var}"


def resolve_paths(settings: Settings, folder: Path, folder_exists: bool) -> None:
    """Make relative paths absolute: `kite.token_file` against the configuration folder, a local `data_dir`
    against the folder's parent; with no configuration folder, both against the current directory."""
    home = folder.absolute() if folder_exists else Path.cwd()
    base = home.parent if folder_exists else home
    if not settings.kite.token_file.is_absolute():
        settings.kite.token_file = home / settings.kite.token_file
    if "://" not in settings.data_dir and not Path(settings.data_dir).is_absolute():
        settings.data_dir = str(base / settings.data_dir)


def _read_json_object(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object, got {type(data).__name__}")
    return data


def _record_sources(data: Mapping[str, Any], prefix: tuple[str, ...], origin: str, out: dict[str, str]) -> None:
    """Record `origin` for every value `data` gives (a section names only the keys it holds, not the section)."""
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            _record_sources(value, path, origin, out)
        else:
            out[".".join(path)] = origin


def _describe(exc: ValidationError, sources: Mapping[str, str], default_file: Path) -> str:
    lines = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        own_key = ctx.get("key") if isinstance(ctx.get("key"), str) else None  # an error placed by its validator
        loc = own_key.split(".") if own_key else [str(p) for p in err["loc"] if p != "[key]"]
        key = ".".join(loc) or "(top level)"
        origin = _origin(loc, sources, default_file)
        masked = any(key.startswith(s) for s in SECRET_KEYS)
        shown = MASK if masked else _short(ctx["value"] if own_key else err.get("input"))
        reason = err["msg"].removeprefix("Value error, ")
        lines.append(f"{origin}: key '{key}' = {shown}: {reason}")
    return "invalid configuration: " + "; ".join(lines)


def _origin(loc: list[str], sources: Mapping[str, str], default_file: Path) -> str:
    for end in range(len(loc), 0, -1):
        found = sources.get(".".join(loc[:end]))
        if found:
            return found
    if loc and loc[0] == "indices":
        return str(default_file.with_name(INDICES_FILE))
    return str(default_file)


def _short(value: Any) -> str:
    """The offending value as shown in an error: quoted, URL passwords and secret-looking values masked, cut."""
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    text = mask_secrets(text)
    return text if len(text) <= 80 else text[:77] + "..."
