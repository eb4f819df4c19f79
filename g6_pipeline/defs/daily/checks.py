"""The daily assets' checks and their severities: a broken day is red (ERROR), a doubtful one yellow (WARN)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import dagster as dg

from g6_pipeline.daily.quality import CheckResult, completeness, duplicates, iv_coverage, static_arbitrage
from g6_pipeline.daily.weekday_master import WeekdayMasterReport
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.quarantine import quarantined_files
from g6_pipeline.storage.reader import read_chain

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


@dataclass(frozen=True)
class Check:
    """One check of a daily asset: what it asserts and how bad a failure is."""

    description: str
    severity: dg.AssetCheckSeverity


QUALITY_CHECKS = {
    "completeness": Check("Every session minute was collected.", WARN),
    "no_duplicates": Check("No (minute, instrument) row appears twice.", ERROR),
    "iv_coverage": Check("At least 90% of quoted legs have a finite implied volatility.", WARN),
    "static_arbitrage": Check("No call-spread, butterfly or put-call-parity violation beyond the quoted spread.", WARN),
}
"""The option-chain checks: duplicated rows are corrupt data (ERROR); gaps, missing IVs and quoted arbitrage
happen in real markets and are reported (WARN)."""
CHAIN_CHECK_SPECS = [
    dg.AssetCheckSpec(name=name, asset="option_chain_daily", description=check.description)
    for name, check in QUALITY_CHECKS.items()
]
MASTER_QUALITY = "no_critical_issues"
MASTER_CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=MASTER_QUALITY,
        asset="weekday_master",
        description="No day folded by the run has a critical quality issue (no data stored, unreadable day, …).",
    )
]


def quality_checks(location: DataLocation, day: date, index: str, expected: int, rate: float) -> dict[str, CheckResult]:
    """Run the four data-quality checks over the sealed day (completeness names its quarantined slices)."""
    options = read_chain(location, day, index)
    return {
        "completeness": completeness(options, expected, quarantined_files(location, day, index)),
        "no_duplicates": duplicates(options),
        "iv_coverage": iv_coverage(options),
        "static_arbitrage": static_arbitrage(options, rate),
    }


def chain_check_results(checks: dict[str, CheckResult]) -> list[dg.AssetCheckResult]:
    """The Dagster results of the option-chain checks, each at its severity."""
    return [
        dg.AssetCheckResult(
            check_name=name,
            passed=result.passed,
            severity=QUALITY_CHECKS[name].severity,
            description=result.description,
            metadata={"value": float(result.value), **{k: float(v) for k, v in result.details.items()}},
        )
        for name, result in checks.items()
    ]


def master_check_result(reports: list[WeekdayMasterReport]) -> dg.AssetCheckResult:
    """Fails (ERROR) when any (day, index) of the run has a critical issue; its messages are listed."""
    critical = [r for r in reports if not r.ok]
    severities: Counter[str] = Counter(issue.severity for r in reports for issue in r.issues)
    messages = [f"{r.index} {r.day.isoformat()}: {i.message}" for r in critical for i in r.issues
                if i.severity == "critical"]
    return dg.AssetCheckResult(
        check_name=MASTER_QUALITY,
        passed=not critical,
        severity=ERROR,
        description=(f"{len(critical)} of {len(reports)} (day, index) partitions have critical issues"
                     if critical else f"all {len(reports)} (day, index) partitions folded without a critical issue"),
        metadata={
            "partitions_with_critical_issues": len(critical),
            "critical": severities["critical"],
            "warnings": severities["warning"],
            "issues": dg.MetadataValue.md("\n".join(f"- {m}" for m in messages[:50]) or "none"),
        },
    )
