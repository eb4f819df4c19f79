"""The daily automation, evaluated as the daemon would: a day is sealed once its session has ended, the weekday
master folds it once it is sealed and its blocking checks passed, and a bad day never reaches the master."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor

from g6_pipeline.core.clock import IST
from g6_pipeline.defs.partitions import partition_key, register
from g6_pipeline.history.weekday_master import update_weekday_master
from g6_pipeline.process.setup import ProcessSetup
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.parquet import OPTIONS
from g6_pipeline_tests.fakes.daily import materialize_day

DAY = date(2026, 11, 23)  # a Monday with a regular session, 09:15-15:30
CHAIN, MASTER, MINUTES = (dg.AssetKey(k) for k in ("option_chain_daily", "weekday_master", "option_chain_minutes"))


def at(hour: int, minute: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST)


class Daemon:
    """Evaluates the automation conditions tick after tick, keeping the cursor as the sensor does."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        from g6_pipeline.definitions import defs

        self.defs, self.instance = defs(), instance
        self.cursor: AssetDaemonCursor | None = None

    def tick(self, moment: datetime) -> dict[str, set[str]]:
        """The partitions requested at `moment`, per asset."""
        result = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, evaluation_time=moment, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {key.to_user_string(): {str(p) for p in result.get_requested_partitions(key)}
                for key in (CHAIN, MASTER) if result.get_requested_partitions(key)}


def collect_minute(instance: dg.DagsterInstance, day: date, index: str) -> None:
    """What a minute run does for the daily assets: register the partition, report the minute."""
    register(instance, [day], [index])
    instance.report_runless_asset_event(dg.AssetMaterialization(MINUTES, partition=str(partition_key(day, index))))


def test_a_day_is_sealed_after_its_session_and_folded_once_sealed(g6_env: tuple[Path, Path]) -> None:
    config, _ = g6_env
    key = str(partition_key(DAY, "NIFTY"))
    with dg.instance_for_test() as instance:
        daemon = Daemon(instance)
        assert daemon.tick(at(9, 0)) == {}  # the first evaluation
        collect_minute(instance, DAY, "NIFTY")
        assert daemon.tick(at(9, 16)) == {}
        assert daemon.tick(at(15, 29)) == {}, "the session is still going"
        assert daemon.tick(at(15, 31)) == {"option_chain_daily": {key}}
        assert daemon.tick(at(15, 32)) == {}, "requested once"
        assert materialize_day(instance, config, DAY, "NIFTY").success  # a whole synthetic day, every check passes
        assert daemon.tick(at(15, 40)) == {"weekday_master": {key}}
        assert daemon.tick(at(15, 41)) == {}


def test_a_day_failing_a_blocking_check_is_not_folded(g6_env: tuple[Path, Path]) -> None:
    config, _ = g6_env
    key = str(partition_key(DAY, "SENSEX"))
    with dg.instance_for_test() as instance:
        daemon = Daemon(instance)
        daemon.tick(at(9, 0))
        collect_minute(instance, DAY, "SENSEX")
        from g6_pipeline_tests.defs.test_assets_in_the_ui import run_minute

        assert run_minute(config, at(10, 0), instance).success  # one minute of 375 stored, every index
        assert key in daemon.tick(at(15, 31))["option_chain_daily"]
        sealed = materialize_day(instance, config, DAY, "SENSEX", raise_on_error=False)
        checks = {e.check_name: e.passed for e in sealed.get_asset_check_evaluations()}
        assert checks["completeness"] is False and sealed.get_asset_materialization_events()
        for moment in (at(15, 40), at(16, 30), at(9, 0, date(2026, 11, 24))):
            assert daemon.tick(moment) == {}, "the master waits for a day whose blocking check failed"


def _duplicate_rows(data: Path, day: date, index: str) -> None:
    """Write the sealed option file of (day, index) again with its first minute's rows twice."""
    path = data / "parquet" / OPTIONS / f"date={day.isoformat()}" / index / "day.parquet"
    table = pq.read_table(path)
    first = table.filter(pa.compute.equal(table["timestamp"], table["timestamp"][0]))
    pq.write_table(pa.concat_tables([table, first]), path)


@pytest.mark.parametrize("index", ["NIFTY"])
def test_a_day_with_duplicate_rows_never_reaches_the_weekday_master(g6_env: tuple[Path, Path], index: str) -> None:
    config, data = g6_env
    monday = date(2026, 11, 16)
    with dg.instance_for_test() as instance:
        setup = ProcessSetup.load(load_settings(config))
        for day in (monday, DAY):
            assert materialize_day(instance, config, day, index).success
        update_weekday_master(setup.location, monday, index, 0.5, setup.calendar)
        _duplicate_rows(data, DAY, index)

        # the seal of the doubled day refuses it: nothing downstream can start
        resealed = materialize_day(instance, config, DAY, index, raise_on_error=False)
        assert not resealed.success
        failure = next(e for e in resealed.all_events if e.event_type_value == "STEP_FAILURE")
        assert "duplicate" in str(failure.step_failure_data.error)

        # and the fold, asked directly, leaves it out and says why
        report = update_weekday_master(setup.location, DAY, index, 0.5, setup.calendar)
    assert report.days_folded == (monday,)
    assert [i.severity for i in report.issues] == ["critical"]
    assert "no_duplicates" in report.issues[0].message and "duplicate" in report.issues[0].message
    monday_master = data / "weekday_master" / index / "this_week" / "0" / "MONDAY.csv"
    assert monday_master.read_text().splitlines()[1].split(",")[-4] == "1"  # counter: only the clean Monday
