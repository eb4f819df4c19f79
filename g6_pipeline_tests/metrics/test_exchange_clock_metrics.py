"""What the exchange's clock adds to the metrics: each index's quote age (the `G6QuotesStale` alert's input) and
stale legs, a stale minute not counted as a success, and a closed exchange (`g6_exchange_closed`, which silences
`G6CollectionStale`) with nothing else of the indices recorded."""

from __future__ import annotations

from dataclasses import replace

from g6_pipeline.core.report import IndexOutcome
from g6_pipeline.metrics import record_cycle
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.metrics.chains import make_report


def _groups(report: object) -> dict[str, object]:
    settings = Settings()
    settings.metrics.groups = ["core", "provider", "analytics", "storage", "per_option"]
    return {dict(g.labels)["index"]: g.values for g in record_cycle(report, settings)}  # type: ignore[arg-type]


def test_a_stale_index_reports_its_quote_age_and_is_not_a_success() -> None:
    report = make_report(("NIFTY", "BANKNIFTY"))
    nifty = report.indices["NIFTY"]
    assert nifty.chain is not None
    nifty.chain.overview.update(quote_age_seconds=200.0, stale=True, legs_stale=len(nifty.chain.options))
    nifty.chain.options["stale"] = True
    report = replace(report, indices={**report.indices, "NIFTY": replace(nifty, status="stale", error="stale: …")})
    groups = _groups(report)
    values = groups["NIFTY"]
    assert values.get("g6_quote_age_seconds", index="NIFTY") == 200.0  # type: ignore[attr-defined]
    assert values.get("g6_legs_stale", index="NIFTY") == len(nifty.chain.options)  # type: ignore[attr-defined]
    assert values.get("g6_index_collections_total", index="NIFTY", status="stale") == 1  # type: ignore[attr-defined]
    assert values.get("g6_collection_last_success_timestamp_seconds", index="NIFTY") is None  # type: ignore[attr-defined]
    prices = {f.name: len(f.samples) for f in values.families() if f.name == "g6_option_price"}  # type: ignore[attr-defined]
    assert prices.get("g6_option_price", 0) == 0  # no per-option series from a stale price
    fresh = {f.name: len(f.samples) for f in groups["BANKNIFTY"].families()}  # type: ignore[attr-defined]
    assert fresh["g6_option_price"] > 0
    assert groups["BANKNIFTY"].get("g6_quote_age_seconds", index="BANKNIFTY") == 0.0  # type: ignore[attr-defined]
    assert groups["all"].get("g6_exchange_closed") == 0.0  # type: ignore[attr-defined]


def test_a_closed_exchange_is_recorded_as_such() -> None:
    reason = "exchange closed: all 400 quotes of 2027-01-26 10:00 carry an earlier session's time"
    closed = {n: IndexOutcome(n, "closed", error=reason) for n in ("NIFTY", "BANKNIFTY")}
    report = replace(make_report(("NIFTY", "BANKNIFTY")), indices=closed, sinks=[])
    assert report.exchange_closed == reason and report.success_rate == 1.0 and not report.ok
    groups = _groups(report)
    assert groups["all"].get("g6_exchange_closed") == 1.0  # type: ignore[attr-defined]
    assert groups["all"].get("g6_collection_runs_total", result="closed") == 1  # type: ignore[attr-defined]
    for name in ("NIFTY", "BANKNIFTY"):
        values = groups[name]
        assert values.get("g6_index_collections_total", index=name, status="closed") == 1  # type: ignore[attr-defined]
        assert values.get("g6_quote_age_seconds", index=name) is None  # type: ignore[attr-defined]
        assert values.get("g6_collection_last_success_timestamp_seconds", index=name) is None  # type: ignore[attr-defined]
