"""An underlying the minute's quote time ran out before: its status `skipped`, a minute not stored whole, counted
per underlying and for the cycle, beside the quote calls the cycle made."""

from __future__ import annotations

from dataclasses import replace

from g6_pipeline.collection.cycle import CycleState, build_report
from g6_pipeline.core.report import IndexOutcome
from g6_pipeline.metrics import record_cycle
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.metrics.chains import MINUTE, make_report


def test_the_cycle_reports_what_it_skipped() -> None:
    state = CycleState(minute=MINUTE, started_at=MINUTE, provider="kite",
                       skipped={"TCS": "skipped: the minute's quote time ran out at 11:42:44"})
    report = build_report(state)
    outcome = report.indices["TCS"]
    assert (outcome.status, outcome.error) == ("skipped", "skipped: the minute's quote time ran out at 11:42:44")
    # nothing of TCS was stored: the minute is not stored whole (a minute run fails, naming it)
    assert report.not_stored() == ["TCS: skipped: the minute's quote time ran out at 11:42:44"]


def test_skipped_underlyings_are_counted_per_underlying_and_per_cycle() -> None:
    report = make_report(("NIFTY", "BANKNIFTY"))
    skipped = {name: IndexOutcome(name, "skipped", error="skipped: …") for name in ("RELIANCE", "TCS")}
    report = replace(report, indices={**report.indices, **skipped},
                     provider_stats=replace(report.provider_stats, quote_calls=12))
    groups = {dict(g.labels)["index"]: g.values for g in record_cycle(report, Settings())}
    assert groups["TCS"].get("g6_index_collections_total", index="TCS", status="skipped") == 1
    assert groups["TCS"].get("g6_index_collections_total", index="TCS", status="failed") == 0
    assert groups["NIFTY"].get("g6_index_collections_total", index="NIFTY", status="skipped") == 0
    assert groups["all"].get("g6_underlyings_skipped") == 2
    assert groups["all"].get("g6_quote_calls") == 12
    assert groups["all"].get("g6_collection_runs_total", result="degraded") == 1


def test_a_stock_has_no_strike_labelled_series() -> None:
    from g6_pipeline_tests.metrics.chains import make_chain

    report = make_report(("NIFTY",))
    chain = make_chain("RELIANCE", ("this_month",))
    stock = IndexOutcome("RELIANCE", "ok", chain=chain, legs_expected=len(chain.options),
                         legs_collected=len(chain.options))
    report = replace(report, indices={**report.indices, "RELIANCE": stock})
    settings = Settings.model_validate({"underlyings": ["NIFTY", "RELIANCE"],
                                        "metrics": {"groups": ["core", "analytics", "per_option"]}})
    groups = {dict(g.labels)["index"]: g.values for g in record_cycle(report, settings)}

    def strike_series(name: str) -> int:
        return sum(len(f.samples) for f in groups[name].families() if f.name.startswith("g6_option_"))

    assert strike_series("NIFTY") > 0 and strike_series("RELIANCE") == 0
    assert groups["RELIANCE"].get("g6_pcr", index="RELIANCE", expiry_tag="this_month") is not None
