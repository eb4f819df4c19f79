"""Typed configuration: the model, the loader and the errors it raises."""

from g6_pipeline.core.vocabulary import EXPIRY_TAGS
from g6_pipeline.settings.environment import ENV_OVERRIDES, REPLACED_FLAGS
from g6_pipeline.settings.loader import (
    ConfigError,
    LoadedSettings,
    load_settings,
)
from g6_pipeline.settings.model import (
    ExpiryTag,
    IndexSettings,
    ProviderName,
    Settings,
)

__all__ = [
    "ENV_OVERRIDES",
    "EXPIRY_TAGS",
    "REPLACED_FLAGS",
    "ConfigError",
    "ExpiryTag",
    "IndexSettings",
    "LoadedSettings",
    "ProviderName",
    "Settings",
    "load_settings",
]
