"""`g6 collect --once`: one cycle outside Dagster, its summary, and its exit codes on bad days."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from g6_pipeline.cli import collect_cmd
from g6_pipeline.cli.main import main
from g6_pipeline.collection import cycle
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST, floor_minute, now_ist
from g6_pipeline.data import load_chain
from g6_pipeline.live.status import PIPELINE_KEEPS_STATUS
from g6_pipeline.providers import ProviderError
from g6_pipeline.providers.sources import SyntheticSource
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline_tests.fakes.config import make_config
from g6_pipeline_tests.fakes.kite_config import REPO_CONFIG, issue_token, valid_issue_time, write_kite_config
from g6_pipeline_tests.fakes.kite_server import ACCESS_TOKEN, KiteServerHandle, kite_server

OPEN = datetime(2026, 11, 23, 11, 30, 20, tzinfo=IST)
CLOSED = datetime(2026, 11, 23, 19, 0, tzinfo=IST)


def at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    monkeypatch.setattr(collect_cmd, "now_ist", lambda: now)


def test_synthetic_cycle_prints_a_summary_and_writes(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = g6_env
    at(monkeypatch, OPEN)
    assert main(["collect", "--once"]) == 0
    out = capsys.readouterr().out
    for index in ("NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"):
        line = next(row for row in out.splitlines() if row.startswith(index))
        assert " ok " in line
    stored = load_chain(OPEN.date(), "BANKNIFTY", data_dir=str(data))
    assert len(stored) and stored["expiry_tag"].isin(["this_month", "next_month"]).all()


@pytest.fixture
def kite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, KiteServerHandle]]:
    """The kite provider pointed at the loopback Kite server (the real kiteconnect client), during the session."""
    at(monkeypatch, OPEN)
    market = SyntheticMarket(6, MarketCalendar.load(REPO_CONFIG))
    with kite_server(market, clock=lambda: OPEN) as server:
        config = write_kite_config(tmp_path, server.url)
        monkeypatch.setenv("G6_CONFIG_DIR", str(config))
        for var in ("G6_PROVIDER", "G6_DATA_DIR", "G6_KITE_ROOT_URL", "KITE_ACCESS_TOKEN", "KITE_API_KEY"):
            monkeypatch.delenv(var, raising=False)
        yield tmp_path, server


@pytest.mark.slow
def test_kite_cycle_through_the_real_client(kite_env: tuple[Path, KiteServerHandle]) -> None:
    root, server = kite_env
    assert main(["collect", "--once"]) == 0
    assert server.count("/quote") >= 1 and server.count("/instruments") >= 1
    stored = load_chain(OPEN.date(), "SENSEX", data_dir=str(root / "data"))
    assert stored["tradingsymbol"].str.startswith("SENSEX").all()
    # ATM ± 3 configured, widened to the 25-delta wings: at least 7 strikes, every one with a call and a put
    assert len(stored) >= 2 * 7
    assert (stored.groupby("strike")["side"].apply(sorted) == pd.Series([["CE", "PE"]] * stored["strike"].nunique(),
            index=sorted(stored["strike"].unique()))).all()


@pytest.mark.slow
def test_market_closed_is_refused_unless_ignored(
    kite_env: tuple[Path, KiteServerHandle], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at(monkeypatch, CLOSED)
    assert main(["collect", "--once"]) == 1
    err = capsys.readouterr().err
    assert "market closed at 19:00 IST; next open Wed 2026-11-25 09:15 IST" in err and "--ignore-market-hours" in err
    # collected anyway, but the exchange's last quotes (the server's, of 11:30) are stored flagged stale: exit 1
    assert main(["collect", "--once", "--ignore-market-hours"]) == 1
    assert "NIFTY      stale" in capsys.readouterr().out


@pytest.mark.slow
def test_expired_token_and_token_exception_fail_without_data(
    kite_env: tuple[Path, KiteServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    root, server = kite_env
    issue_token(root / "kite_token", datetime.now(IST) - timedelta(days=2))
    assert main(["collect", "--once"]) == 1  # the stored token died at 06:00 IST
    assert "expired" in capsys.readouterr().err
    issue_token(root / "kite_token", valid_issue_time())
    server.fail_next("/quote", "token", times=5)
    assert main(["collect", "--once"]) == 1
    err = capsys.readouterr().err
    assert "token" in err.lower()
    assert ACCESS_TOKEN not in err
    assert not (root / "data" / "parquet").exists()


@pytest.mark.slow
def test_provider_outage_fails_with_a_reason_and_no_rows(
    kite_env: tuple[Path, KiteServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    root, server = kite_env
    server.fail_next("/quote", "502html", times=20)
    assert main(["collect", "--once"]) == 1
    captured = capsys.readouterr()
    assert "failed" in captured.out + captured.err
    assert not (root / "data" / "parquet").exists()


@pytest.mark.slow
def test_chain_with_legs_missing_is_degraded_exit_1_and_keeps_what_was_quoted(
    kite_env: tuple[Path, KiteServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    root, server = kite_env
    server.fail_next("/quote", "none")  # the spot call is answered whole
    server.fail_next("/quote", "missing_keys", times=1, drop_keys=2)  # the option batch: two option keys left out
    assert main(["collect", "--once"]) == 1
    out = capsys.readouterr().out
    degraded = [row for row in out.splitlines() if " degraded " in row]
    assert len(degraded) == 1 and "2 legs not quoted" in out
    index = degraded[0].split()[0]
    stored = load_chain(OPEN.date(), index, data_dir=str(root / "data"))
    assert len(stored) and stored["last_price"].notna().all()  # the quoted legs are kept, none invented


@pytest.fixture
def default_grace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The synthetic provider with the default late-run grace (45 s), exported as G6_CONFIG_DIR; the data dir."""
    config = make_config(tmp_path / "config", tmp_path / "data", collection={"late_grace_seconds": 45})
    monkeypatch.setenv("G6_CONFIG_DIR", str(config))
    for var in ("G6_DATA_DIR", "G6_PROVIDER", "G6_PUSHGATEWAY_URL", "G6_INFLUX_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "data"


def test_collect_late_in_a_minute_collects_the_next_minute_at_its_start(
    default_grace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # second 50 of a minute a little ahead of the machine's clock, so that the provider's own fetch time is in
    # the grace of the market clock's minute; the wait for the next minute moves the market clock to its start
    late = floor_minute(now_ist()) + timedelta(minutes=2, seconds=50)
    clock = {"now": late}
    waits: list[datetime] = []

    def wait(deadline: datetime) -> float:
        waits.append(deadline)
        clock["now"] = deadline
        return (deadline - late).total_seconds()

    monkeypatch.setattr(collect_cmd, "now_ist", lambda: clock["now"])
    monkeypatch.setattr(cycle, "now_ist", lambda: clock["now"])
    monkeypatch.setattr(cycle, "wait_until", wait)
    assert main(["collect", "--once"]) == 0  # was exit 1, every index "not written" as too late
    captured = capsys.readouterr()
    following = floor_minute(late) + timedelta(minutes=1)
    assert waits == [following]
    assert f"too late for minute {late:%H:%M}; collecting {following:%H:%M} at its start" in captured.err
    assert f"G6 collect {following:%Y-%m-%d %H:%M} IST" in captured.out
    stored = load_chain(following.date(), "NIFTY", data_dir=str(default_grace))
    assert set(stored["timestamp"]) == {pd.Timestamp(following)}


def _pipeline_minute(data: Path) -> bytes:
    """Run the collection job for this minute, as the daemon does; the status it wrote."""
    import dagster as dg

    from g6_pipeline.defs.collection.job import collection_job, minute_run_config
    from g6_pipeline.defs.resources import G6Resource, shared_resources

    with dg.instance_for_test() as instance:
        result = collection_job.execute_in_process(
            run_config=minute_run_config(now_ist()), instance=instance, resources=shared_resources(G6Resource()),
        )
    assert result.success
    return (data / "runtime_status.json").read_bytes()


def _quotes_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_: object) -> None:
        raise ProviderError("quote service down")

    monkeypatch.setattr(SyntheticSource, "quote", down)
    monkeypatch.setattr(SyntheticSource, "quote_table", down)


def test_a_failed_manual_cycle_leaves_the_running_pipelines_status_alone(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data = g6_env
    status = _pipeline_minute(data)
    panels = {p.name: p.read_bytes() for p in (data / "panels").glob("*.json")}
    _quotes_down(monkeypatch)
    assert main(["collect", "--once"]) == 1
    captured = capsys.readouterr()
    assert "quote service down" in captured.err and "left to the running pipeline" in captured.err
    assert (data / "runtime_status.json").read_bytes() == status  # not "provider synthetic (down)"
    assert {p.name: p.read_bytes() for p in (data / "panels").glob("*.json")} == panels
    assert json.loads(status)["origin"] == "pipeline"


def test_a_manual_cycle_writes_the_status_when_no_pipeline_keeps_it(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = g6_env
    document = json.loads(_pipeline_minute(data))
    document["generated_at"] = (now_ist() - PIPELINE_KEEPS_STATUS - timedelta(seconds=5)).isoformat()
    (data / "runtime_status.json").write_text(json.dumps(document))  # the pipeline stopped a while ago
    _quotes_down(monkeypatch)
    assert main(["collect", "--once"]) == 1
    written = json.loads((data / "runtime_status.json").read_text())
    assert written["origin"] == "manual" and written["indices"]["NIFTY"]["status"] == "failed"
    assert "quote service down" in written["indices"]["NIFTY"]["error"]
    assert written["cycle"] == document["cycle"] + 1
