"""The InfluxDB sink against a real server.

No InfluxDB 2.x server can be installed on these machines, so the sink writes through the real
`influxdb-client` to VictoriaMetrics' InfluxDB-compatible `/api/v2/write` endpoint (a Debian package), and the
test reads the points back with `/api/v1/export`. VictoriaMetrics stores `measurement,tags field=value` as the
series `measurement_field{tags}` and needs about 2 s before a new series is readable.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from g6_pipeline.settings.model import InfluxSettings, Settings
from g6_pipeline.storage.influx import InfluxSink
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.sink import Sink
from g6_pipeline_tests.fakes.servers import Server, free_port, start_victoria_metrics
from g6_pipeline_tests.metrics.chains import IST, make_chain

pytestmark = pytest.mark.slow

# VictoriaMetrics keeps one day (-retentionPeriod=1d): write minutes of today, not the fixed test minute.
MINUTE = datetime.now(IST).replace(second=0, microsecond=0) - timedelta(minutes=5)


def _export(
    server: Server, match: str, ready: Callable[[list[dict[str, Any]]], bool] = bool, limit: float = 120.0
) -> list[dict[str, Any]]:
    """The series matching `match`, polled until `ready` holds for them or `limit` seconds pass (new points
    become readable after a delay that grows with the machine's load)."""
    query = urllib.parse.urlencode({"match[]": match})
    deadline = time.monotonic() + limit
    while True:
        with urllib.request.urlopen(f"{server.url}/api/v1/export?{query}", timeout=30) as response:
            rows = [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]
        if ready(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def _settings(url: str, **kw: Any) -> InfluxSettings:
    return InfluxSettings(url=url, org="g6", bucket="g6", token=SecretStr("not-a-real-token"), timeout_seconds=2.0, **kw)


def test_points_written_are_read_back_with_their_tags_and_fields(
    victoria_metrics: Server, tmp_path: Path
) -> None:
    sink: Sink = InfluxSink(_settings(victoria_metrics.url, batch_size=7), spool_dir=tmp_path / "spool")
    chains = [
        make_chain("NIFTY", ("this_week",), strikes_each_side=2, minute=MINUTE),
        make_chain("SENSEX", ("this_week",), strikes_each_side=2, minute=MINUTE),
    ]
    outcome = sink.write(chains)
    assert outcome.error is None and outcome.points_dropped == 0
    assert outcome.rows == 10 + 10 + 2 + 1 and outcome.bytes > 0

    nifty = chains[0].options
    atm = int(nifty["atm"].iloc[0])
    atm_ce = nifty[(nifty["strike"] == atm) & (nifty["side"] == "CE")].iloc[0]
    price = _export(victoria_metrics, f'{{__name__="option_data_price",index="NIFTY",strike="{atm}",type="CE"}}')
    assert len(price) == 1
    assert price[0]["metric"]["expiry"] == chains[0].snapshot.expiries["this_week"].isoformat()
    assert price[0]["values"] == [pytest.approx(atm_ce["last_price"])]
    assert price[0]["timestamps"] == [int(MINUTE.timestamp() * 1000)]
    # the far OTM call has no IV: the field is absent, not zero
    iv = _export(victoria_metrics, '{__name__="option_data_iv",index="NIFTY",type="CE"}')
    assert sorted(s["metric"]["strike"] for s in iv) == [str(atm + 50 * i) for i in range(-2, 2)]
    pcr = _export(victoria_metrics, '{__name__="options_overview_pcr_this_week",index="SENSEX"}')
    assert pcr[0]["values"] == [pytest.approx(chains[1].overview["pcr_this_week"])]
    cycle = _export(victoria_metrics, '{__name__="g6_cycle_options_last_cycle"}')
    assert cycle[0]["values"] == [20]


def test_outage_spools_without_raising_then_replays_when_the_server_returns(tmp_path: Path) -> None:
    port = free_port()
    spool = tmp_path / "spool"
    sink = InfluxSink(_settings(f"http://127.0.0.1:{port}"), spool_dir=spool)
    first = make_chain("NIFTY", ("this_week",), strikes_each_side=1, minute=MINUTE)
    down = sink.write([first])
    assert down.error is not None and "not-a-real-token" not in down.error
    assert down.rows == 0 and down.points_dropped == 0
    assert len(list(spool.glob("points-*.lp"))) == 1

    with start_victoria_metrics(tmp_path / "vm", port=port) as server:
        second = make_chain(
            "NIFTY", ("this_week",), strikes_each_side=1, minute=MINUTE + timedelta(minutes=1)
        )
        up = sink.write([second])
        assert up.error is None, up.error
        assert up.rows == 2 * (6 + 1 + 1)
        assert not list(spool.glob("points-*.lp"))
        atm = int(first.options["atm"].iloc[0])
        series = _export(server, f'{{__name__="option_data_oi",index="NIFTY",strike="{atm}",type="PE"}}',
                         ready=lambda rows: bool(rows) and len(rows[0]["timestamps"]) >= 2)
        assert series[0]["timestamps"] == [
            int(MINUTE.timestamp() * 1000),
            int((MINUTE + timedelta(minutes=1)).timestamp() * 1000),
        ]


def test_without_spool_the_lost_points_are_counted_and_the_breaker_opens(tmp_path: Path) -> None:
    port = free_port()
    sink = InfluxSink(_settings(f"http://127.0.0.1:{port}", spool=False))
    chain = make_chain("NIFTY", ("this_week",), strikes_each_side=1, minute=MINUTE)
    outcomes = [sink.write([chain]) for _ in range(3)]
    assert all(o.points_dropped == 6 + 1 + 1 and o.error for o in outcomes)
    assert sink.circuit_open
    # the server is back, but an open breaker does not even connect
    with socket.create_server(("127.0.0.1", port)) as listener:
        listener.setblocking(False)
        refused = sink.write([chain])
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert refused.error and "circuit open" in refused.error
    assert refused.points_dropped == 8


def test_from_settings_spools_under_a_local_data_dir_only(tmp_path: Path) -> None:
    influx = _settings(f"http://127.0.0.1:{free_port()}")
    local = InfluxSink.from_settings(Settings(influx=influx), DataLocation(tmp_path / "data"))
    assert local is not None and local.spool_dir == tmp_path / "data" / "_spool" / "influx"
    remote = InfluxSink.from_settings(Settings(influx=influx), DataLocation("memory://bucket/g6"))
    assert remote is not None and remote.spool_dir is None
    assert InfluxSink.from_settings(Settings(), DataLocation(tmp_path)) is None
