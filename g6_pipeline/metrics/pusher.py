"""Push metric groups to a Prometheus Pushgateway, keeping counters cumulative across short-lived runs.

Each push replaces its group (grouping key: job plus index, never a run id). Before pushing, the values the
gateway already holds for the group are read back and added to this run's counters and histograms, so that
`rate()` and `increase()` work although every run is a new process; gauges marked `keep_last` keep their
previous value when this run did not set them. A failed push is logged and counted, never raised.
User info in the gateway URL (`http://user:password@host:9091`) is taken off the URL and sent as HTTP basic
auth (`split_credentials`), on the read-back and on every push.
"""

from __future__ import annotations

import base64
import logging
import math
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import push_to_gateway
from prometheus_client.exposition import basic_auth_handler, default_handler
from prometheus_client.parser import text_string_to_metric_families

from g6_pipeline.metrics.catalogue import SPECS
from g6_pipeline.metrics.values import HistogramValue, MetricValues, PushGroup
from g6_pipeline.util.redact import describe_error

log = logging.getLogger(__name__)

PUSH_TIMEOUT_SECONDS = 5.0
_GATEWAY_LABELS = frozenset({"job", "instance"})

Sample = tuple[str, dict[str, str], float]


@dataclass(frozen=True)
class Credentials:
    """HTTP basic-auth user name and password taken from a URL's user info."""

    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"

    def header(self) -> str:
        """The `Authorization` header value."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def handler(self) -> Callable[..., Callable[[], None]]:
        """A `push_to_gateway` handler that sends these credentials."""

        def handle(url: str, method: str, timeout: float | None, headers: list[tuple[str, str]], data: bytes,
                   ) -> Callable[[], None]:
            return basic_auth_handler(url, method, timeout, headers, data, self.username, self.password)

        return handle


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """`url` without its user info, and the user info as basic-auth credentials (None when there is none).

    User name and password are percent-decoded (`p%40ss` is `p@ss`); host, port, path and query are kept.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return bare, Credentials(unquote(user), unquote(password))


@dataclass(frozen=True)
class PushOutcome:
    """What a push did: groups pushed, groups that failed and why (the gateway URL never appears)."""

    pushed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    skipped: bool = False
    """True when no Pushgateway is configured: nothing was attempted."""

    @property
    def ok(self) -> bool:
        """No group failed."""
        return self.failed == 0


def push_groups(url: str, groups: Sequence[PushGroup], timeout: float = PUSH_TIMEOUT_SECONDS) -> PushOutcome:
    """Push every group to the gateway at `url`; never raises.

    When the gateway's current values cannot be read, nothing is pushed (a push without them would reset
    the counters) and every group counts as failed. Groups are pushed in order; the number of groups that
    failed so far is added to `g6_metrics_push_failures_total` of every later group that declares it.
    """
    where = redact_url(url)
    bare, credentials = split_credentials(url)
    handler: Callable[..., Callable[[], None]] = credentials.handler() if credentials else default_handler
    try:
        current = read_gateway(url, timeout)
    except Exception as exc:  # any failure to reach or parse the gateway is a failed push, never a failed run
        reason = f"cannot read {where}: {_reason(exc, url)}"
        log.warning("metrics push skipped: %s", reason)
        return PushOutcome(failed=len(groups), errors=(reason,))

    pushed, errors = 0, list[str]()
    for group in groups:
        values = group.values
        if errors and values.enabled("g6_metrics_push_failures_total"):
            values.inc("g6_metrics_push_failures_total", len(errors))
        merge_previous(values, _samples_of(current, group))
        try:
            push_to_gateway(
                bare,
                job=group.job,
                registry=values.registry(),
                grouping_key=dict(group.labels),
                timeout=timeout,
                handler=handler,
            )
            pushed += 1
        except Exception as exc:  # network, HTTP 4xx/5xx: logged and counted
            reason = f"push {group.describe()} to {where} failed: {_reason(exc, url)}"
            log.warning("metrics %s", reason)
            errors.append(reason)
    return PushOutcome(pushed=pushed, failed=len(errors), errors=tuple(errors))


def read_gateway(url: str, timeout: float = PUSH_TIMEOUT_SECONDS) -> list[Sample]:
    """Every catalogued sample the gateway holds: (sample name, labels including grouping labels, value).

    User info in `url` is sent as basic auth (`split_credentials`)."""
    bare, credentials = split_credentials(url)
    headers = {"Accept": "text/plain"}
    if credentials is not None:
        headers["Authorization"] = credentials.header()
    request = urllib.request.Request(bare.rstrip("/") + "/metrics", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode("utf-8")
    samples: list[Sample] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in SPECS or _base_name(s.name) in SPECS:
                samples.append((s.name, dict(s.labels), s.value))
    return samples


def merge_previous(values: MetricValues, previous: Iterable[Sample]) -> None:
    """Add the gateway's counters and histograms of this group to `values`; fill unset `keep_last` gauges."""
    histograms: dict[tuple[str, tuple[str, ...]], dict[float | str, float]] = {}
    for name, labels, value in previous:
        s = SPECS.get(name) or SPECS.get(_base_name(name))
        if s is None or not values.enabled(s.name):
            continue
        if set(labels) - {"le"} != set(s.labels):
            continue  # pushed under another catalogue version: let it go
        series = {k: labels[k] for k in s.labels}
        if s.kind == "counter" and name == s.name:
            values.inc(s.name, value, **series)
        elif s.kind == "gauge" and s.keep_last and values.get(s.name, **series) is None:
            values.set(s.name, value, **series)
        elif s.kind == "histogram":
            parts = histograms.setdefault((s.name, tuple(series.values())), {})
            parts[float(labels["le"]) if name.endswith("_bucket") else name.rsplit("_", 1)[1]] = value
    for (name, key), parts in histograms.items():
        s = SPECS[name]
        try:
            buckets = [parts[b] for b in (*s.buckets, math.inf)]
            old = HistogramValue(s.buckets, buckets, parts["sum"])
        except KeyError:
            continue  # buckets changed since that push
        held = values.histograms.setdefault(name, {})
        if key in held:
            held[key].add(old)
        else:
            held[key] = old


def _samples_of(samples: Iterable[Sample], group: PushGroup) -> list[Sample]:
    """The samples of one group, with the gateway's grouping labels removed."""
    wanted = {"job": group.job, **dict(group.labels)}
    out = []
    for name, labels, value in samples:
        if all(labels.get(k) == v for k, v in wanted.items()):
            rest = {k: v for k, v in labels.items() if k not in _GATEWAY_LABELS and k not in wanted}
            spec = SPECS.get(name) or SPECS.get(_base_name(name))
            for k in wanted:  # a grouping label that is also a metric label stays on the series
                if spec is not None and k in spec.labels:
                    rest[k] = wanted[k]
            out.append((name, rest, value))
    return out


def _base_name(sample_name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            return sample_name[: -len(suffix)]
    return sample_name


def redact_url(url: str) -> str:
    """The URL without user name, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _reason(exc: BaseException, url: str) -> str:
    """`Type: message` of a failed read or push, cleaned, with the URL's user name and password masked."""
    parts = urlsplit(url)
    return describe_error(exc, [s for s in (parts.password, parts.username) if s])
