"""What the UI shows of G6's data: the minute partitions each run reports (and registers), the metadata of a
sealed day, check severities, and G6's own log lines in the run's event log."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.core.schema import OPTION_COLUMNS
from g6_pipeline.data import load_chain, load_overview
from g6_pipeline.defs.collection.job import collection_job, minute_run_config
from g6_pipeline.defs.partitions import DAYS_NAME, INDICES_NAME
from g6_pipeline.defs.resources import G6Resource, shared_resources
from g6_pipeline.providers.chain import ChainProvider
from g6_pipeline_tests.fakes.daily import fold_day, materialize_day

MINUTE = datetime(2026, 11, 23, 10, 15, tzinfo=IST)  # a Monday session minute
MINUTES = dg.AssetKey("option_chain_minutes")


def run_minute(config: Path, minute: datetime, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return collection_job.execute_in_process(
        run_config=minute_run_config(minute.isoformat()),
        instance=instance,
        resources=shared_resources(G6Resource(config_dir=str(config))),
    )


def set_platform(config: Path, **keys: object) -> None:
    path = config / "platform_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **keys}))


def test_each_minute_run_reports_the_partitions_it_wrote(g6_env: tuple[Path, Path]) -> None:
    config, _ = g6_env
    with dg.instance_for_test() as instance:
        assert run_minute(config, MINUTE, instance).success
        assert run_minute(config, MINUTE + timedelta(minutes=1), instance).success
        partitions = instance.get_materialized_partitions(MINUTES)
        indices = {"NIFTY", "BANKNIFTY", "FINNIFTY", "SENSEX"}
        assert partitions == {f"2026-11-23|{i}" for i in indices}
        assert instance.get_dynamic_partitions(DAYS_NAME) == ["2026-11-23"]  # registered by the run
        assert set(instance.get_dynamic_partitions(INDICES_NAME)) == indices
        event = instance.get_latest_materialization_event(MINUTES)
    assert event is not None and event.asset_materialization is not None
    index = event.asset_materialization.partition.split("|")[1]  # type: ignore[union-attr]
    metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    chain = load_chain(MINUTE.date(), index, data_dir=str(g6_env[1]))
    last_minute = chain[chain["timestamp"] == chain["timestamp"].max()]
    assert metadata["minute"] == (MINUTE + timedelta(minutes=1)).isoformat()
    assert metadata["dagster/row_count"] == len(last_minute)
    assert metadata["missing_legs"] == 0
    assert metadata["source"] == "synthetic"
    assert metadata["minutes_stored"] == 2


def test_a_weekend_minute_is_stored_but_makes_no_partition(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    sunday = datetime(2026, 11, 22, 11, 0, tzinfo=IST)
    with dg.instance_for_test() as instance:
        assert run_minute(config, sunday, instance).success
        assert instance.get_dynamic_partitions(DAYS_NAME) == []
        assert instance.get_materialized_partitions(MINUTES) == set()
    assert (data / "parquet" / "options" / "date=2026-11-22").is_dir()


def test_kite_refuses_a_day_it_cannot_have(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    set_platform(config, provider="kite", kite={"token_file": str(config / "no-token")})
    with dg.instance_for_test() as instance:
        result = materialize_day(instance, config, date(2026, 11, 20), "BANKNIFTY", raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        description = str(failure.step_failure_data.user_failure_data.description)  # type: ignore[union-attr]
        assert description.startswith("BANKNIFTY Fri 2026-11-20: no option data is stored")
        assert "provider 'kite' cannot generate it" in description
    assert not (data / "parquet").exists(), "nothing was generated or sealed"


def test_a_sealed_day_shows_its_schema_close_numbers_and_closing_chain(g6_env: tuple[Path, Path]) -> None:
    config, data = g6_env
    with dg.instance_for_test() as instance:
        for k in range(3):
            assert run_minute(config, MINUTE + timedelta(minutes=k), instance).success
        result = materialize_day(instance, config, MINUTE.date(), "NIFTY", raise_on_error=False)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["completeness"] is False and not result.success  # 3 of 375 minutes: blocking, the run is red
    by_asset = {str(e.asset_key.to_user_string()) if e.asset_key else "": e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    chain = load_chain(MINUTE.date(), "NIFTY", data_dir=str(data))
    overview = load_overview(MINUTE.date(), "NIFTY", data_dir=str(data))
    options = by_asset["option_chain_daily"]
    assert options["dagster/row_count"].value == len(chain)
    assert by_asset["overview_daily"]["dagster/row_count"].value == len(overview) == 3
    schema = options["dagster/column_schema"].value
    assert isinstance(schema, dg.TableSchema)
    assert [c.name for c in schema.columns] == list(OPTION_COLUMNS)
    close = overview.iloc[-1]
    for name in ("pcr", "atm_iv", "max_pain", "straddle"):
        for metadata in by_asset.values():
            assert metadata[f"close_{name}"].value == pytest.approx(close[f"{name}_this_week"], abs=1e-4)
    preview = str(options["closing_chain"].value)
    last = chain[(chain["timestamp"] == chain["timestamp"].max()) & (chain["expiry_tag"] == "this_week")]
    atm = float(last.loc[last["offset"] == 0, "strike"].iloc[0])
    assert f"**{atm:,.0f}** (ATM)" in preview
    assert "10:17" in preview
    assert len([line for line in preview.splitlines() if line.startswith("| ") and "**" in line]) == 7
    atm_ce = float(last.loc[(last["offset"] == 0) & (last["side"] == "CE"), "last_price"].iloc[0])
    assert f"| {atm_ce:,.2f} |" in preview


def test_assets_say_who_owns_them_and_what_a_row_is() -> None:
    from g6_pipeline.definitions import defs

    graph = defs().get_repository_def().asset_graph
    lineage = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys}
               for k in graph.get_all_asset_keys()}
    assert lineage["option_chain_daily"] == {"option_chain_minutes"}
    assert lineage["overview_daily"] == {"option_chain_minutes"}
    assert lineage["weekday_master"] == {"option_chain_daily"}
    for name in ("option_chain_minutes", "option_chain_daily", "overview_daily", "weekday_master"):
        node = graph.get(dg.AssetKey(name))
        assert node.owners == ["team:g6"]
        assert node.tags.get("domain") == "options"
        assert "one row per" in (node.description or "").lower() or "one csv per" in (node.description or "").lower()


def test_missing_minutes_and_duplicates_block_the_master_the_rest_warn() -> None:
    from g6_pipeline.defs.history.checks import DAY_CHECK_SPECS, severity_of

    specs = {spec.name: spec for spec in DAY_CHECK_SPECS}
    assert {name for name, spec in specs.items() if spec.blocking} == {"completeness", "no_duplicates"}
    assert {name: severity_of(name) for name in specs} == {
        "completeness": dg.AssetCheckSeverity.ERROR, "no_duplicates": dg.AssetCheckSeverity.ERROR,
        "iv_coverage": dg.AssetCheckSeverity.WARN, "static_arbitrage": dg.AssetCheckSeverity.WARN}


def test_weekday_master_with_critical_issues_fails_its_check(g6_env: tuple[Path, Path]) -> None:
    config, _ = g6_env
    set_platform(config, provider="kite", kite={"token_file": str(config / "no-token")})
    with dg.instance_for_test() as instance:
        result = fold_day(instance, config, date(2026, 11, 20), "NIFTY")
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "no_critical_issues"
    assert evaluation.passed is False
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["partitions_with_critical_issues"].value == 1  # nothing stored


def test_g6_log_lines_reach_the_run_event_log_masked(
    g6_env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = g6_env
    secret = "tok-5ecr3t-value"
    set_platform(config, live={"auth_token": secret})
    original = ChainProvider.fetch

    def fetch_without_sensex(self: ChainProvider, indices, now):  # type: ignore[no-untyped-def]
        result = original(self, indices, now)
        result.snapshots.pop("SENSEX", None)
        result.failures["SENSEX"] = f"upstream rejected token {secret}"
        return result

    monkeypatch.setattr(ChainProvider, "fetch", fetch_without_sensex)
    logs = {"python_logs": {"managed_python_loggers": ["g6_pipeline"], "python_log_level": "INFO"}}
    with dg.instance_for_test(overrides=logs) as instance:
        result = collection_job.execute_in_process(
            run_config=minute_run_config(MINUTE),
            instance=instance, resources=shared_resources(G6Resource(config_dir=str(config))), raise_on_error=False,
        )
        assert not result.success  # a minute stored for 3 of 4 indices is not stored whole
        messages = [r.user_message for r in instance.all_logs(result.run_id) if r.user_message]
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert failure.step_failure_data.user_failure_data is not None
        described = str(failure.step_failure_data.user_failure_data.description)
    assert described.startswith("minute 10:15 not stored whole: SENSEX: upstream rejected token ")
    assert secret not in described
    g6_lines = [m for m in messages if "minute 10:15" in m or "SENSEX failed" in m]
    assert any(m.startswith("minute 10:15: 3 of 4 indices collected") for m in g6_lines), messages
    warning = next(m for m in g6_lines if "SENSEX failed" in m)
    assert secret not in warning and "upstream rejected token" in warning
    assert not any(secret in m for m in messages)
