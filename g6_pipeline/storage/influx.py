"""The optional InfluxDB sink (InfluxDB 2.x write API through `influxdb-client`).

Measurements: `option_data` (tags index, expiry, type, strike; fields price, oi, volume, iv, delta, gamma,
theta, vega, rho), `options_overview` (tag index; the overview's numeric columns) and `g6_cycle` (counts of
the minute). Points go out in batches of `influx.batch_size`, with a few quick retries, behind a circuit
breaker. An outage never raises and never blocks the other sinks: points that could not be written are
spooled to disk (when `influx.spool` is on) and replayed, oldest first, once the server answers again; what
can be neither written nor spooled is counted in `SinkOutcome.points_dropped`. A NaN field is left out.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain
from g6_pipeline.settings.model import InfluxSettings, Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.numeric import finite_float
from g6_pipeline.util.redact import describe_error

log = logging.getLogger(__name__)

OPTION_FIELDS = {
    "last_price": "price",
    "oi": "oi",
    "volume": "volume",
    "iv": "iv",
    "delta": "delta",
    "gamma": "gamma",
    "theta": "theta",
    "vega": "vega",
    "rho": "rho",
}
"""Option column → `option_data` field."""
SPOOL_LIMIT_BYTES = 256 * 1024 * 1024
RETRY_DELAYS_SECONDS = (0.2, 0.5)
BREAKER_FAILURES = 3
BREAKER_RESET_SECONDS = 60.0

Writer = Callable[[list[str]], None]


def option_lines(chain: EnrichedChain) -> list[str]:
    """`option_data` points of one chain, one per leg that has at least one finite field."""
    lines = []
    for row in chain.options.itertuples(index=False):
        fields = {name: finite_float(getattr(row, column)) for column, name in OPTION_FIELDS.items()}
        fields = {k: v for k, v in fields.items() if math.isfinite(v)}
        if not fields:
            continue
        point = (
            Point("option_data")
            .tag("index", str(row.index))
            .tag("expiry", _day(row.expiry))
            .tag("type", str(row.side))
            .tag("strike", _strike(finite_float(row.strike)))
        )
        for name, value in fields.items():
            point.field(name, value)
        lines.append(point.time(chain.timestamp, WritePrecision.S).to_line_protocol())
    return lines


def overview_line(chain: EnrichedChain) -> str | None:
    """The `options_overview` point of one chain: every finite numeric overview value."""
    point = Point("options_overview").tag("index", chain.index)
    written = 0
    for key, value in chain.overview.items():
        if key in ("timestamp", "index") or isinstance(value, str | date):
            continue
        number = finite_float(value)
        if math.isfinite(number):
            point.field(key, number)
            written += 1
    return point.time(chain.timestamp, WritePrecision.S).to_line_protocol() if written else None


def cycle_line(chains: Sequence[EnrichedChain]) -> str:
    """The `g6_cycle` point of one minute: indices collected, option rows in total and per index."""
    point = Point("g6_cycle").field("indices_collected", len(chains))
    point.field("options_last_cycle", sum(len(c.options) for c in chains))
    for chain in chains:
        point.field(f"options_{chain.index}", len(chain.options))
    return point.time(max(c.timestamp for c in chains), WritePrecision.S).to_line_protocol()


class InfluxSink:
    """Writes enriched chains to InfluxDB; implements the `Sink` protocol and never raises from `write`."""

    name = "influx"

    def __init__(
        self,
        settings: InfluxSettings,
        spool_dir: Path | None = None,
        writer: Writer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.url is None:
            raise ValueError("the InfluxDB sink needs influx.url")
        self.settings = settings
        self.spool_dir = spool_dir if settings.spool else None
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0
        self._client: InfluxDBClient | None = None
        self._writer = writer or self._client_writer()

    @classmethod
    def from_settings(cls, settings: Settings, location: DataLocation) -> InfluxSink | None:
        """The sink for these settings, spooling under the data location's `_spool/influx` (a local data
        directory only); None when no URL is set."""
        if not settings.influx.enabled:
            return None
        return cls(settings.influx, Path(location.influx_spool_dir().path) if location.is_local else None)

    def _client_writer(self) -> Writer:
        s = self.settings
        self._client = InfluxDBClient(
            url=str(s.url), token=self._token(), org=s.org, timeout=int(s.timeout_seconds * 1000)
        )
        api = self._client.write_api(write_options=SYNCHRONOUS)

        def write(lines: list[str]) -> None:
            api.write(
                bucket=s.bucket,
                org=s.org,
                record=lines,
                write_precision=cast(WritePrecision, WritePrecision.S),
            )

        return write

    def close(self) -> None:
        """Release the HTTP client."""
        if self._client is not None:
            self._client.close()

    @property
    def circuit_open(self) -> bool:
        """True while the breaker refuses to call the server."""
        return self._clock() < self._open_until

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute's chains (and any spooled points first); report, never raise."""
        started = time.monotonic()
        try:
            lines: list[str] = []
            for chain in chains:
                lines += option_lines(chain)
                overview = overview_line(chain)
                if overview is not None:
                    lines.append(overview)
            if chains:
                lines.append(cycle_line(chains))
            return self._deliver(lines, started)
        except Exception as exc:  # a bug in the mapping must not stop the other sinks either
            log.exception("influx sink: cannot build points")
            return SinkOutcome(
                self.name, seconds=time.monotonic() - started, error=f"cannot build points: {exc}"
            )

    def _deliver(self, lines: list[str], started: float) -> SinkOutcome:
        if self.circuit_open:
            return self._keep(
                lines, started, error="circuit open after repeated failures; not calling the server"
            )
        rows = nbytes = 0
        for path in self._spooled():
            replay = path.read_text(encoding="utf-8").splitlines()
            error = self._send(replay)
            if error is not None:
                return self._keep(lines, started, error=error)
            path.unlink()
            rows, nbytes = rows + len(replay), nbytes + sum(len(x) + 1 for x in replay)
            log.info("influx sink: replayed %d spooled points from %s", len(replay), path.name)
        error = self._send(lines)
        if error is not None:
            outcome = self._keep(lines, started, error=error)
            return SinkOutcome(
                self.name, rows, nbytes, outcome.seconds, outcome.error, outcome.points_dropped
            )
        rows, nbytes = rows + len(lines), nbytes + sum(len(x) + 1 for x in lines)
        return SinkOutcome(self.name, rows=rows, bytes=nbytes, seconds=time.monotonic() - started)

    def _send(self, lines: list[str]) -> str | None:
        """Write in batches with quick retries; the reason of the failure, None on success."""
        size = self.settings.batch_size
        for start in range(0, len(lines), size):
            batch = lines[start : start + size]
            for attempt in range(len(RETRY_DELAYS_SECONDS) + 1):
                try:
                    self._writer(batch)
                    break
                except Exception as exc:  # network errors, HTTP 4xx/5xx from the client
                    reason = describe_error(exc, [self._token()])
                    if attempt == len(RETRY_DELAYS_SECONDS):
                        self._failed()
                        return reason
                    time.sleep(RETRY_DELAYS_SECONDS[attempt])
        self._failures = 0
        return None

    def _failed(self) -> None:
        self._failures += 1
        if self._failures >= BREAKER_FAILURES:
            self._open_until = self._clock() + BREAKER_RESET_SECONDS
            log.warning(
                "influx sink: circuit open for %.0f s after %d failed writes",
                BREAKER_RESET_SECONDS,
                self._failures,
            )

    def _keep(self, lines: list[str], started: float, error: str) -> SinkOutcome:
        """Spool the lines that could not be written, or count them as dropped."""
        dropped = 0
        if lines and not self._spool(lines):
            dropped = len(lines)
        log.warning("influx sink: %s (%d points %s)", error, len(lines), "dropped" if dropped else "spooled")
        return SinkOutcome(self.name, seconds=time.monotonic() - started, error=error, points_dropped=dropped)

    def _spool(self, lines: list[str]) -> bool:
        if self.spool_dir is None:
            return False
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            held = sum(p.stat().st_size for p in self._spooled())
            text = "\n".join(lines) + "\n"
            if held + len(text) > SPOOL_LIMIT_BYTES:
                return False
            path = self.spool_dir / f"points-{time.time_ns()}.lp"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            return True
        except OSError as exc:
            log.warning("influx sink: cannot spool to %s: %s", self.spool_dir, exc.strerror)
            return False

    def _spooled(self) -> list[Path]:
        if self.spool_dir is None or not self.spool_dir.is_dir():
            return []
        return sorted(self.spool_dir.glob("points-*.lp"))

    def _token(self) -> str:
        return self.settings.token.get_secret_value() if self.settings.token else ""


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _strike(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else repr(float(strike))
