"""The typed configuration of G6: one pydantic model, every key documented in config/README.md.

Defaults are complete: with no configuration file at all G6 runs the synthetic market locally.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, model_validator

from g6_pipeline.core.underlyings import DEFAULT_UNDERLYINGS, Kind, by_priority
from g6_pipeline.core.vocabulary import ExpiryTag
from g6_pipeline.settings.underlyings import resolve, underlying_defaults

ProviderName = Literal["kite", "synthetic", "mock"]
Exchange = Literal["NFO", "BFO"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
MetricGroup = Literal["core", "provider", "analytics", "storage", "per_option"]
DigitGrouping = Literal["indian", "western"]
Quantities = Literal["contracts", "units"]



class _Strict(BaseModel):
    """Base of every section: unknown keys are an error, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class IndexSettings(_Strict):
    """One underlying (an index or a stock) and the part of its option chain that G6 collects.

    In a configuration file every key may be left out: it then takes the default of the underlying's kind
    (`settings.underlyings.underlying_defaults`).
    """

    enabled: bool = True
    kind: Kind = Field(default="index", description="index or stock: the collection priority (indices first).")
    exchange: Exchange = Field(description="Options exchange: NFO (NSE) or BFO (BSE).")
    spot_key: str = Field(min_length=3, description="Quote key of the underlying's price, e.g. 'NSE:NIFTY 50'.")
    strikes_below: int = Field(default=10, ge=0, le=100, description="Strikes collected below ATM.")
    strikes_above: int = Field(default=10, ge=0, le=100, description="Strikes collected above ATM.")
    expiry_tags: list[ExpiryTag] = Field(min_length=1, description="Expiries collected, by tag.")
    wings: bool = Field(default=True, description="Widen each expiry's window out to its 25-delta wings.")

    @model_validator(mode="after")
    def _unique_tags(self) -> IndexSettings:
        if len(set(self.expiry_tags)) != len(self.expiry_tags):
            raise ValueError(f"expiry_tags has duplicates: {self.expiry_tags}")
        return self


class KindSettings(_Strict):
    """Settings every underlying of one kind takes unless its own entry says otherwise."""

    strikes_below: int | None = Field(default=None, ge=0, le=100)
    strikes_above: int | None = Field(default=None, ge=0, le=100)
    expiry_tags: list[ExpiryTag] | None = Field(default=None, min_length=1)
    wings: bool | None = None
    enabled: bool | None = None


def default_indices() -> dict[str, IndexSettings]:
    """The default underlyings (`core.underlyings.DEFAULT_UNDERLYINGS`) with the defaults of their kind."""
    return {name: IndexSettings.model_validate(underlying_defaults(name)) for name in DEFAULT_UNDERLYINGS}


class KiteSettings(_Strict):
    """Zerodha Kite Connect: where to reach it, the credentials, and how politely to call it."""

    root_url: str = Field(default="https://api.kite.trade", pattern=r"^https?://")
    api_key: str | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    token_file: Path = Field(default=Path(".kite_token"), description="Token store (mode 0600).")
    requests_per_second: float = Field(default=1.0, gt=0, le=10)
    timeout_seconds: float = Field(default=7.0, gt=0, le=120)
    max_retries: int = Field(default=3, ge=0, le=10)
    circuit_breaker_failures: int = Field(default=5, ge=1)
    circuit_breaker_reset_seconds: float = Field(default=60.0, gt=0)


class SyntheticSettings(_Strict):
    """The simulated market: the same seed and minute always give the same snapshot."""

    seed: int = Field(default=6, ge=0)
    reference_levels: dict[str, float] = Field(
        default_factory=dict,
        description="Level on reference_date per underlying (index or stock), overriding the documented defaults "
        "(g6_pipeline/providers/synthetic/README.md); the simulated path passes through it.",
    )
    reference_date: date | None = Field(default=None, description="Day the reference levels hold; unset: 2026-11-27.")


class CollectionSettings(_Strict):
    """The minute collection."""

    market_hours_gate: bool | None = Field(
        default=None,
        description="Collect only during the session. Unset: on for kite, off for synthetic and mock.",
    )
    late_grace_seconds: float | None = Field(
        default=45.0,
        ge=0,
        description="A run fetching a minute's quotes later than this after the minute writes nothing (null: off).",
    )
    writer_lock_seconds: float = Field(
        default=20.0, ge=0, description="How long a minute's write waits for another G6 writer of the same day and index."
    )
    quote_seconds: float = Field(
        default=40.0, gt=0, le=60,
        description="Seconds of quote calls at kite.requests_per_second the configured underlyings may need a "
        "minute: g6 config check and g6 diagnose refuse a configuration that needs more.",
    )


class AnalyticsSettings(_Strict):
    """Inputs of the option maths."""

    risk_free_rate: float = Field(default=0.065, ge=-0.05, le=0.5, description="Continuous rate, e.g. 0.065.")
    weekday_master_alpha: float = Field(default=0.5, gt=0, le=1, description="EMA weight of the newest day.")
    iv_rank_min_sessions: int = Field(
        default=20, ge=1, le=252, description="Daily ATM-IV closes needed before IV rank and percentile are given."
    )
    weekday_master_sources: Literal["provider", "simulated", "collected"] = Field(
        default="provider",
        description="Days the weekday master folds: simulated, collected, or the family of the configured provider.",
    )


class StorageSettings(_Strict):
    """What G6 writes and how long raw files are kept."""

    csv_enabled: bool = True
    parquet_compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    raw_retention_days: int = Field(default=10, ge=1, description="Minute slices kept after a day is sealed.")
    run_retention_days: int = Field(default=3, ge=1, description="Collection runs kept in the Dagster instance.")


class InfluxSettings(_Strict):
    """Optional InfluxDB 2.x sink; off unless a URL is set."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    org: str = "g6"
    bucket: str = "g6"
    token: SecretStr | None = None
    batch_size: int = Field(default=500, ge=1, le=50_000)
    timeout_seconds: float = Field(default=5.0, gt=0)
    spool: bool = Field(default=True, description="Keep points that could not be written and replay them.")

    @property
    def enabled(self) -> bool:
        """The sink is on exactly when a URL is configured."""
        return self.url is not None


DEFAULT_METRIC_GROUPS: tuple[MetricGroup, ...] = ("core", "provider", "analytics", "storage")


class MetricsSettings(_Strict):
    """Prometheus metrics, pushed to a Pushgateway after every collection run."""

    pushgateway_url: str | None = Field(default=None, pattern=r"^https?://")
    groups: list[MetricGroup] = Field(default_factory=lambda: list(DEFAULT_METRIC_GROUPS))
    per_option_strikes: int = Field(default=2, ge=0, le=20, description="ATM ± K strikes for per-option series.")
    series_budget: int = Field(default=2000, ge=1, description="Hard cap on per-option series per push.")


class LiveSettings(_Strict):
    """The live browser dashboard (`g6 serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=9320, ge=1, le=65535)
    auth_token: SecretStr | None = None
    max_clients: int = Field(default=32, ge=1, le=1000)
    allowed_hosts: list[str] = Field(default_factory=list, description="Host names the page may be reached by.")


DEFAULT_STALE_SECONDS = 120.0
"""A quote older than this (two minutes without a tick from the exchange) is stale, unless configured otherwise."""


class DisplaySettings(_Strict):
    """How the page, the terminal chain and the summary write numbers (one style for all three)."""

    digit_grouping: DigitGrouping = Field(
        default="indian", description="indian: 34,70,870 (as NSE shows it); western: 3,470,870."
    )
    quantities: Quantities = Field(
        default="contracts",
        description="OI and volume in the chain views: contracts (lots, as NSE's option chain) or units "
        "(lots × lot size, as Kite reports and G6 stores them).",
    )


class AlertSettings(_Strict):
    """Alert thresholds: the one source for the live views and the Prometheus rules (a test keeps them equal)."""

    pcr_high: float = Field(default=1.5, gt=0, description="Near-expiry PCR above this is extreme.")
    pcr_low: float = Field(default=0.5, gt=0, description="Near-expiry PCR below this is extreme.")
    stale_after_seconds: float = Field(default=180.0, gt=0, description="Data older than this is stale.")
    quote_stale_seconds: float = Field(
        default=DEFAULT_STALE_SECONDS, gt=0,
        description="A quote whose exchange timestamp has not advanced for this long is stale: its leg is "
        "stored flagged `stale`, the index status says stale, the quote-age alert fires.",
    )
    min_success_ratio: float = Field(default=0.95, gt=0, le=1, description="5-minute collection success floor.")

    @model_validator(mode="after")
    def _ordered(self) -> AlertSettings:
        if self.pcr_low >= self.pcr_high:
            raise ValueError(f"pcr_low {self.pcr_low} is not below pcr_high {self.pcr_high}")
        return self


class Settings(_Strict):
    """The whole configuration of a G6 process."""

    provider: ProviderName = "synthetic"
    data_dir: str = Field(default="data", min_length=1, description="Local folder or fsspec URL (s3://...).")
    log_level: LogLevel = "INFO"
    underlyings: list[str] | None = Field(
        default=None,
        description="Underlyings and groups (indices, fo_stocks) to collect; unset: the names in "
        "indices_config.json, else NIFTY, BANKNIFTY, FINNIFTY, SENSEX.",
    )
    indices: dict[str, IndexSettings] = Field(default_factory=default_indices)
    kinds: dict[Kind, KindSettings] = Field(
        default_factory=dict, description="Per kind (index, stock): settings its underlyings take by default."
    )
    kite: KiteSettings = Field(default_factory=KiteSettings)
    synthetic: SyntheticSettings = Field(default_factory=SyntheticSettings)
    collection: CollectionSettings = Field(default_factory=CollectionSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @model_validator(mode="before")
    @classmethod
    def _complete_underlyings(cls, data: Any, info: ValidationInfo) -> Any:
        """Every configured underlying (`underlyings`, groups expanded) with the defaults of its kind (an
        assignment of `indices` in code gives complete settings and is taken as it is)."""
        return data if info.field_name is not None else resolve(data, KindSettings)

    @model_validator(mode="after")
    def _some_index_enabled(self) -> Settings:
        if not any(ix.enabled for ix in self.indices.values()):
            raise ValueError("no index is enabled")
        return self

    @property
    def enabled_indices(self) -> dict[str, IndexSettings]:
        """Enabled underlyings in collection priority: the indices, then the stocks, each in configuration
        order (groups in their own order)."""
        kinds = {name: ix.kind for name, ix in self.indices.items() if ix.enabled}
        return {name: self.indices[name] for name in by_priority(kinds, kinds)}

    @property
    def market_hours_gate(self) -> bool:
        """Whether collection is limited to the session (explicit setting, else on for kite only)."""
        gate = self.collection.market_hours_gate
        return self.provider == "kite" if gate is None else gate

    def secret_values(self) -> list[str]:
        """Every secret in this configuration, for the log filter that masks them."""
        secrets = [self.kite.api_secret, self.kite.access_token, self.influx.token, self.live.auth_token]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
