"""`g6 diagnose`: check everything a running G6 needs and say, for each part, what is wrong.

Checks, in order: configuration (and unknown `G6_*` variables), the market calendar's coverage, Kite token, provider
reachability, the quote budget of today's dumps (`providers.budget`), the Dagster
instance's storage, the data location (writable, disk space), Pushgateway, Prometheus and InfluxDB when
configured, and the integrity of the published panels. A check that cannot run because an earlier one failed
is skipped, and says why; a warning (`warn`) does not fail the run. No message ever carries a secret: known secret values and URL passwords are masked.

The instance check is the one place outside the Dagster layer that opens a Dagster instance (imported on use),
because the question it answers is whether Dagster itself can open its storage.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import requests
import yaml

from g6_pipeline.cli.instance import dagster_home
from g6_pipeline.collection.run_tags import COLLECTION, RUN_KIND_TAG
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import now_ist
from g6_pipeline.metrics.pusher import split_credentials
from g6_pipeline.settings import ConfigError, LoadedSettings, Settings, load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.redact import mask_secrets

Status = Literal["ok", "warn", "fail", "skip"]
GIB = 1024**3
DEFAULT_MIN_FREE_BYTES = 2 * GIB


@dataclass(frozen=True)
class Finding:
    """What one diagnose check found: the part checked, a status and one line saying what was found."""

    name: str
    status: Status
    detail: str


@dataclass
class DiagnoseContext:
    """What the checks share: the environment, the moment, limits, and what earlier checks found."""

    environ: Mapping[str, str]
    now: datetime
    config_dir: Path | None = None
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES
    prometheus_url: str | None = None
    timeout_seconds: float = 5.0
    loaded: LoadedSettings | None = None
    kite_source: Any = None
    """The Kite source whose credentials the token check accepted (a `providers.kite.KiteSource`)."""
    calendar: MarketCalendar | None = None
    secrets: list[str] = field(default_factory=list)
    _location: DataLocation | None = field(default=None, init=False, repr=False)

    def redact(self, text: str) -> str:
        """`text` with every secret found so far, secret-looking values and URL passwords masked."""
        return mask_secrets(text, self.secrets)

    @property
    def settings(self) -> Settings:
        """The validated settings (checks that need them run only once the configuration check passed)."""
        assert self.loaded is not None
        return self.loaded.settings

    def location(self) -> DataLocation:
        """The configured data location (opened on first use)."""
        if self._location is None:
            self._location = DataLocation(self.settings.data_dir)
        return self._location


Check = Callable[[DiagnoseContext], Finding]


def check_config(ctx: DiagnoseContext) -> Finding:
    """The configuration files and environment overrides validate, and the market calendar loads."""
    try:
        loaded = load_settings(ctx.config_dir, ctx.environ)
    except ConfigError as exc:
        return Finding("config", "fail", str(exc))
    ctx.loaded = loaded
    ctx.secrets.extend(loaded.settings.secret_values())
    try:
        ctx.calendar = MarketCalendar.load(loaded.config_dir)
    except (ValueError, OSError) as exc:
        return Finding("config", "fail", f"market calendar in {loaded.config_dir}: {exc}")
    s = loaded.settings
    names = list(s.enabled_indices)
    shown = ", ".join(names) if len(names) <= 12 else ", ".join(names[:10]) + f" and {len(names) - 10} more"
    detail = f"{loaded.config_dir}: provider {s.provider}, {len(names)} underlyings ({shown})"
    if loaded.warnings:
        return Finding("config", "warn", f"{detail}; " + "; ".join(loaded.warnings))
    return Finding("config", "ok", detail)


def check_calendar(ctx: DiagnoseContext) -> Finding:
    """The holiday file covers today and does not end within 30 days (a warning when it does)."""
    if ctx.calendar is None:
        return Finding("calendar", "skip", "skipped: the market calendar did not load")
    coverage = ctx.calendar.coverage(ctx.now.date())
    return Finding("calendar", coverage.level, coverage.message)


def check_token(ctx: DiagnoseContext) -> Finding:
    """With the Kite provider: credentials the Kite source would use (settings, else the token store), unexpired."""
    s = ctx.settings
    if s.provider != "kite":
        return Finding("token", "ok", f"not needed (provider {s.provider})")
    from g6_pipeline.providers.base import TokenExpiredError
    from g6_pipeline.providers.kite import KiteSource
    from g6_pipeline.providers.kite_token import TokenStore

    source = KiteSource(s.kite, TokenStore(s.kite.token_file), clock=lambda: ctx.now)
    try:
        api_key, token = source.credentials()
    except TokenExpiredError as exc:
        return Finding("token", "fail", ctx.redact(str(exc)))
    if not api_key:
        return Finding("token", "fail", "kite.api_key is not set (KITE_API_KEY or platform_config.json)")
    ctx.secrets.append(token)
    ctx.kite_source = source
    if s.kite.access_token is not None:
        return Finding("token", "ok", "access token given by KITE_ACCESS_TOKEN")
    stored = TokenStore(s.kite.token_file).load()
    expires = f", valid until {stored.expires_at:%Y-%m-%d %H:%M} IST" if stored else ""
    return Finding("token", "ok", f"access token in {s.kite.token_file}{expires}")


def check_provider(ctx: DiagnoseContext) -> Finding:
    """With the Kite provider: the Kite API answers and accepts the token (one profile request)."""
    s = ctx.settings
    if s.provider != "kite":
        return Finding("provider", "ok", f"{s.provider} provider runs locally: nothing to reach")
    if ctx.kite_source is None:
        return Finding("provider", "skip", "skipped: no usable Kite token")
    from kiteconnect import exceptions

    root = s.kite.root_url
    try:
        ctx.kite_source.client().profile()
    except exceptions.TokenException:
        return Finding(
            "provider", "fail", f"{root} rejected the access token (expired or revoked): run `g6 token login`"
        )
    except exceptions.KiteException as exc:
        message = ctx.redact(str(exc))
        return Finding(
            "provider", "fail", f"{root} answered {type(exc).__name__} (HTTP {exc.code}): {message}"
        )
    except requests.RequestException as exc:
        return Finding("provider", "fail", f"{root} unreachable: {_reason(exc)}")
    except (KeyError, TypeError, ValueError):
        return Finding("provider", "fail", f"{root} answered, but not as the Kite API does")
    return Finding("provider", "ok", f"{root} reachable, token accepted")


def check_quote_budget(ctx: DiagnoseContext) -> Finding:
    """The configured underlyings fit the minute's quote calls (`providers.budget`), from today's dumps (Kite's
    downloaded into the instrument cache when missing and the token check passed)."""
    from g6_pipeline.cli.quote_budget import budget_report, one_line

    if ctx.calendar is None:
        return Finding("quote budget", "skip", "skipped: the market calendar did not load")
    try:
        report = budget_report(ctx.settings, ctx.calendar, ctx.now, ctx.kite_source)
    except Exception as exc:  # a dump that cannot be fetched is a finding, not a crash of diagnose
        return Finding("quote budget", "warn", ctx.redact(f"not worked out: {type(exc).__name__}: {exc}"))
    return Finding("quote budget", report.verdict, ctx.redact(one_line(report)))


def check_instance(ctx: DiagnoseContext) -> Finding:
    """Dagster can open the project's instance (DAGSTER_HOME, else the `.dagster_home` that `make run` uses),
    and its run queue keeps minute runs apart."""
    found = dagster_home(ctx.loaded, ctx.environ) if ctx.loaded is not None else None
    home = str(found) if found is not None else ""
    if not home:
        return Finding(
            "instance",
            "fail",
            "no Dagster instance: DAGSTER_HOME is not set and there is no .dagster_home beside the config "
            "folder (`make run` creates it)",
        )
    if not (Path(home) / "dagster.yaml").is_file():
        return Finding(
            "instance",
            "fail",
            f"no dagster.yaml in DAGSTER_HOME={home}: copy dagster.yaml (embedded) or deploy/dagster.yaml there",
        )
    for name in ("DAGSTER_PG_PASSWORD",):
        if ctx.environ.get(name):
            ctx.secrets.append(ctx.environ[name])
    unreachable = _postgres_unreachable(home, ctx)
    if unreachable:
        return Finding("instance", "fail", unreachable)
    from dagster import DagsterInstance  # the only Dagster import outside the Dagster layer
    from dagster._core.run_coordinator import QueuedRunCoordinator

    try:
        with DagsterInstance.from_config(home) as instance:
            runs = instance.get_runs_count()
            storage = type(instance.run_storage).__name__.removesuffix("RunStorage") or "unknown"
            coordinator = instance.run_coordinator
            limits: Sequence[Mapping[str, object]] = []
            if isinstance(coordinator, QueuedRunCoordinator):
                limits = coordinator.get_run_queue_config().tag_concurrency_limits
    except Exception as exc:  # any failure to open or query the storage is the finding itself
        reason = ctx.redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        return Finding("instance", "fail", f"cannot open the Dagster instance in {home}: {reason}")
    queued = [lim for lim in limits if (lim.get("key"), lim.get("value")) == (RUN_KIND_TAG, COLLECTION)]
    if not queued or int(str(queued[0]["limit"])) > 1:
        return Finding(
            "instance",
            "fail",
            f"{storage} storage, {runs} runs, but no queue limit of 1 on {RUN_KIND_TAG}={COLLECTION}: "
            "minute runs could overlap (use the run_coordinator section of dagster.yaml)",
        )
    return Finding(
        "instance", "ok", f"{storage} storage in {home}: {runs} runs, minute runs queued one at a time"
    )


def _postgres_unreachable(home: str, ctx: DiagnoseContext) -> str | None:
    """Why the PostgreSQL server named by dagster.yaml's `postgres_db` takes no connection (fast TCP probe), or
    None when it does or the instance is not on PostgreSQL (Dagster itself would retry for several seconds)."""
    try:
        config = yaml.safe_load((Path(home) / "dagster.yaml").read_text()) or {}
        db = config["storage"]["postgres"]["postgres_db"]
    except (KeyError, TypeError, yaml.YAMLError):
        return None

    def value(key: str, default: str) -> str:
        raw = db.get(key, default)
        if isinstance(raw, dict) and "env" in raw:
            return ctx.environ.get(str(raw["env"]), "")
        return str(raw)

    host, port = value("hostname", ""), value("port", "5432")
    if not host or not port.isdigit():
        return None  # Dagster's own error names the variable that is missing
    try:
        socket.create_connection((host, int(port)), timeout=ctx.timeout_seconds).close()
    except OSError as exc:
        return f"PostgreSQL of the Dagster instance at {host}:{port} unreachable: {exc.strerror or exc}"
    return None


def check_data_location(ctx: DiagnoseContext) -> Finding:
    """The data directory accepts a write, and every local disk G6 writes to has room."""
    data_dir = ctx.settings.data_dir
    try:
        location = ctx.location()
        probe = location.probe_file()
        location.write_atomic(probe, b"g6", durable=False)
        location.remove(probe)
    except Exception as exc:  # permission, missing bucket, a file in the way: all mean "cannot write"
        return Finding(
            "data", "fail", f"data directory {ctx.redact(data_dir)} is not writable: {ctx.redact(str(exc))}"
        )
    folders = [Path(location.root.path)] if location.is_local else []
    if ctx.environ.get("DAGSTER_HOME"):
        folders.append(Path(ctx.environ["DAGSTER_HOME"]))
    notes = [] if location.is_local else [f"{location.root.protocol} store writable"]
    for folder in folders:
        free = shutil.disk_usage(_existing(folder)).free
        if free < ctx.min_free_bytes:
            return Finding(
                "data",
                "fail",
                f"only {free / GIB:.2f} GiB free for {folder} (need at least {ctx.min_free_bytes / GIB:.2f} GiB)",
            )
        notes.append(f"{folder}: {free / GIB:.1f} GiB free")
    return Finding("data", "ok", "; ".join(notes))


def check_pushgateway(ctx: DiagnoseContext) -> Finding:
    """The configured Pushgateway answers its readiness probe."""
    return _probe_if_set(ctx, "pushgateway", ctx.settings.metrics.pushgateway_url, "/-/ready",
                         "not configured (metrics.pushgateway_url)")


def check_prometheus(ctx: DiagnoseContext) -> Finding:
    """The Prometheus server given with --prometheus-url answers its readiness probe."""
    return _probe_if_set(ctx, "prometheus", ctx.prometheus_url, "/-/ready", "not given (--prometheus-url)")


def check_influx(ctx: DiagnoseContext) -> Finding:
    """The configured InfluxDB answers a ping."""
    return _probe_if_set(ctx, "influx", ctx.settings.influx.url, "/ping", "not configured (influx.url)")


def check_panels(ctx: DiagnoseContext) -> Finding:
    """The published panels are all there, their hashes match, and they are fresh while collection runs."""
    from g6_pipeline.live.panels import panels_dir, verify_panels

    settings = ctx.settings
    location = ctx.location()
    if not location.is_local:
        return Finding(
            "panels", "skip", "data_dir is an object store; check the panels where `g6 serve` runs"
        )
    folder = panels_dir(location)
    if not folder.is_dir():
        return Finding("panels", "fail", f"no panels published yet in {folder}: collection has not run")
    problems = verify_panels(location, ctx.now, settings.alerts.stale_after_seconds)
    collecting = not settings.market_hours_gate or (
        ctx.calendar is not None and ctx.calendar.is_open(ctx.now)
    )
    broken = [p for p in problems if p.kind != "stale" or collecting]
    if broken:
        return Finding("panels", "fail", "; ".join(str(p) for p in broken))
    stale = [p.panel for p in problems]
    if stale:
        return Finding(
            "panels", "ok", f"intact; {', '.join(stale)} last updated before the close (market closed)"
        )
    return Finding("panels", "ok", f"all panels intact and fresh in {folder}")


def _probe_if_set(ctx: DiagnoseContext, name: str, url: str | None, path: str, unset: str) -> Finding:
    """Skip, saying `unset`, when no URL is set; else GET `url` + `path` (user info sent as basic auth, as a
    push sends it) and report what answered."""
    if url is None:
        return Finding(name, "skip", unset)
    shown = ctx.redact(url)
    bare, credentials = split_credentials(url)
    auth = (credentials.username, credentials.password) if credentials else None
    try:
        answer = requests.get(bare.rstrip("/") + path, timeout=ctx.timeout_seconds, auth=auth)
    except requests.RequestException as exc:
        return Finding(name, "fail", f"{shown} unreachable: {_reason(exc)}")
    if answer.status_code >= 400:
        return Finding(name, "fail", f"{shown}{path} answered HTTP {answer.status_code}")
    return Finding(name, "ok", f"{shown} reachable")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def _existing(folder: Path) -> Path:
    path = folder.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


NEEDS_CONFIG = frozenset({"calendar", "token", "provider", "quote budget", "data", "pushgateway", "influx", "panels"})
CHECKS: tuple[tuple[str, Check], ...] = (
    ("config", check_config),
    ("calendar", check_calendar),
    ("token", check_token),
    ("provider", check_provider),
    ("quote budget", check_quote_budget),
    ("instance", check_instance),
    ("data", check_data_location),
    ("pushgateway", check_pushgateway),
    ("prometheus", check_prometheus),
    ("influx", check_influx),
    ("panels", check_panels),
)


def diagnose(ctx: DiagnoseContext, checks: Sequence[tuple[str, Check]] = CHECKS) -> list[Finding]:
    """Run every check in order; checks that need a valid configuration are skipped when it is not."""
    results = []
    for name, check in checks:
        if name in NEEDS_CONFIG and ctx.loaded is None:
            results.append(Finding(name, "skip", "skipped: the configuration is not valid"))
            continue
        results.append(check(ctx))
    return results


def default_context(
    *,
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
    prometheus_url: str | None = None,
    timeout_seconds: float = 5.0,
) -> DiagnoseContext:
    """A context on the process environment at the current moment (IST)."""
    return DiagnoseContext(
        environ=os.environ,
        now=now_ist(),
        min_free_bytes=min_free_bytes,
        prometheus_url=prometheus_url,
        timeout_seconds=timeout_seconds,
    )
