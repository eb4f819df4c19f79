"""The recorder turns a cycle report into metric values: groups, absent values, per-option budget."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from g6_pipeline.core.report import CycleReport
from g6_pipeline.metrics import record_cycle
from g6_pipeline.metrics.values import MetricValues, PushGroup
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.metrics.chains import make_chain, make_report


def _settings(**metrics: object) -> Settings:
    s = Settings()
    for key, value in metrics.items():
        setattr(s.metrics, key, value)
    return s


def _groups(report: object, settings: Settings) -> dict[str, MetricValues]:
    out: list[PushGroup] = record_cycle(report, settings)  # type: ignore[arg-type]
    return {dict(g.labels)["index"]: g.values for g in out}


def test_one_group_per_index_and_one_for_the_cycle_all_under_the_collection_job() -> None:
    groups = record_cycle(make_report(("NIFTY", "SENSEX")), Settings())
    assert [(g.job, g.labels) for g in groups] == [
        ("g6_collection", (("index", "NIFTY"),)),
        ("g6_collection", (("index", "SENSEX"),)),
        ("g6_collection", (("index", "all"),)),
    ]


def test_index_values_come_from_the_overview_and_the_rows() -> None:
    report = make_report(("NIFTY",))
    chain = report.indices["NIFTY"].chain
    assert chain is not None
    values = _groups(report, Settings())["NIFTY"]
    assert values.get("g6_index_price", index="NIFTY") == chain.overview["index_price"]
    assert values.get("g6_pcr", index="NIFTY", expiry_tag="this_week") == chain.overview["pcr_this_week"]
    week = chain.options[chain.options["expiry_tag"] == "this_week"]
    ce, pe = week[week["side"] == "CE"], week[week["side"] == "PE"]
    spot = chain.overview["index_price"]
    gex = ((ce["gamma"] * ce["oi"]).sum() - (pe["gamma"] * pe["oi"]).sum()) * spot * spot / 100
    assert values.get("g6_gamma_exposure_rupees", index="NIFTY", expiry_tag="this_week") == pytest.approx(gex)
    assert values.get("g6_delta_exposure_rupees", index="NIFTY", expiry_tag="this_week") == chain.overview["dex_this_week"]
    assert values.get("g6_legs_collected", index="NIFTY", expiry_tag="this_week") == len(week)
    failed = (chain.options["iv_status"] == "below_intrinsic").sum()
    assert values.get("g6_iv_solve_failures_total", index="NIFTY", reason="below_intrinsic") == failed
    assert values.get("g6_iv_solve_failures_total", index="NIFTY", reason="bad_input") == 0
    assert values.get("g6_iv_solve_attempts_total", index="NIFTY") == len(chain.options)


def test_values_the_report_lacks_stay_absent_never_zero() -> None:
    report = make_report(("NIFTY", "BANKNIFTY"), failed=("BANKNIFTY",))
    chain = report.indices["NIFTY"].chain
    assert chain is not None
    chain.overview["atm_iv_this_week"] = math.nan
    chain.overview["rr25_this_week"] = None
    groups = _groups(report, Settings())
    nifty, bank = groups["NIFTY"], groups["BANKNIFTY"]
    assert nifty.get("g6_atm_iv", index="NIFTY", expiry_tag="this_week") is None
    assert nifty.get("g6_risk_reversal_25d", index="NIFTY", expiry_tag="this_week") is None
    assert nifty.get("g6_pcr", index="NIFTY", expiry_tag="this_month") is None  # tag not collected for NIFTY
    assert bank.get("g6_index_price", index="BANKNIFTY") is None
    assert bank.get("g6_collection_last_success_timestamp_seconds", index="BANKNIFTY") is None
    assert bank.get("g6_index_collections_total", index="BANKNIFTY", status="failed") == 1
    assert groups["all"].get("g6_collection_runs_total", result="degraded") == 1


def test_disabled_groups_record_nothing() -> None:
    values = _groups(make_report(("NIFTY",)), _settings(groups=["core"]))
    assert values["NIFTY"].get("g6_index_price", index="NIFTY") is not None
    assert values["NIFTY"].get("g6_pcr", index="NIFTY", expiry_tag="this_week") is None
    assert values["all"].get("g6_provider_calls_total", endpoint="quote", result="ok") is None
    assert values["all"].get("g6_sink_rows_written_total", sink="parquet") is None
    assert not values["NIFTY"].scalars.get("g6_option_price")


def test_cycle_values_count_provider_calls_and_sinks() -> None:
    report = make_report(("NIFTY",), sink_error="disk full")
    cycle = _groups(report, Settings())["all"]
    assert cycle.get("g6_provider_calls_total", endpoint="quote", result="NetworkException") == 1
    assert cycle.get("g6_provider_token_state", state="valid") == 1
    assert cycle.get("g6_provider_token_state", state="expired") == 0
    assert cycle.get("g6_sink_write_failures_total", sink="csv") == 1
    assert cycle.get("g6_sink_write_failures_total", sink="parquet") == 0
    assert cycle.get("g6_collection_runs_total", result="ok") == 0
    latency = cycle.histograms["g6_provider_latency_seconds"][("quote",)]
    assert latency.count == 3 and math.isclose(latency.total, 0.21 + 0.34 + 1.2)


def test_per_option_series_cover_atm_plus_minus_k_strikes() -> None:
    k = 2
    report = make_report(("NIFTY",))
    values = _groups(report, _settings(groups=["core", "per_option"], per_option_strikes=k))["NIFTY"]
    strikes = {key[2] for key in values.scalars["g6_option_price"] if key[1] == "this_week"}
    atm = _atm(report, "NIFTY")
    assert strikes == {str(atm + i * 50) for i in range(-k, k + 1)}
    # the far OTM legs have no IV: their IV series are absent, not zero
    assert all(math.isfinite(v) and v > 0 for v in values.scalars["g6_option_iv"].values())


def test_series_budget_drops_the_far_strikes_and_counts_them() -> None:
    settings = _settings(groups=["core", "per_option"], per_option_strikes=5, series_budget=10)
    groups = _groups(make_report(("NIFTY", "BANKNIFTY")), settings)
    option_metrics = ("g6_option_price", "g6_option_iv", "g6_option_oi")
    kept = [(m, key) for name in ("NIFTY", "BANKNIFTY") for m in option_metrics for key in groups[name].scalars.get(m, {})]
    assert len(kept) == 10
    # ATM first (CE and PE: 6 series), then the strikes one step away; the next expiry and index get nothing
    assert {key[1] for _, key in kept} == {"this_week"}
    atm = _atm(make_report(("NIFTY",)), "NIFTY")
    assert {key[2] for _, key in kept} <= {str(atm - 50), str(atm), str(atm + 50)}
    assert sum(1 for _, key in kept if key[2] == str(atm)) == 6
    total = 0
    for name in ("NIFTY", "BANKNIFTY"):
        chain = make_report((name,)).indices[name].chain
        assert chain is not None
        total += int(chain.options[["last_price", "oi", "iv"]].notna().sum().sum())
    assert groups["all"].get("g6_metrics_series_dropped_total") == total - 10


def _atm(report: CycleReport, index: str) -> int:
    """The ATM strike of the near expiry, read from the chain's rows."""
    chain = report.indices[index].chain
    assert chain is not None
    return int(chain.options.loc[chain.options["expiry_tag"] == "this_week", "atm"].iloc[0])


def test_chain_factory_is_consistent() -> None:
    chain = make_chain("SENSEX", ("this_week",), strikes_each_side=3)
    assert len(chain.options) == 14
    assert replace(chain.snapshot).index == "SENSEX"
