"""The daily assets' checks in Dagster: the day checks of `history.quality.DAY_CHECKS` and the weekday master's.

A blocking check (missing minutes, duplicated rows) is red (ERROR) and keeps the day out of the weekday master;
the others are yellow (WARN). The results come from the seal recipe (`history.seal.SealedDay`), whether the day
was sealed by a run or by `g6 backfill`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import dagster as dg

from g6_pipeline.defs.metadata import check_severity, check_specs
from g6_pipeline.history.quality import DAY_CHECKS
from g6_pipeline.history.seal import SealedDay
from g6_pipeline.history.weekday_master import WeekdayMasterReport

OPTION_CHAIN_DAILY = dg.AssetKey("option_chain_daily")
OVERVIEW_DAILY = dg.AssetKey("overview_daily")
WEEKDAY_MASTER = dg.AssetKey("weekday_master")

DAY_CHECK_SPECS = check_specs(OPTION_CHAIN_DAILY, DAY_CHECKS)
MASTER_QUALITY = "no_critical_issues"
MASTER_CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=MASTER_QUALITY,
        asset=WEEKDAY_MASTER,
        description="Every day of the run was folded: none had a critical issue (no sealed file, unreadable, "
                    "or a failed blocking check).",
    )
]


def severity_of(check: str) -> dg.AssetCheckSeverity:
    """ERROR for a blocking check, WARN for the others."""
    return check_severity(DAY_CHECKS[check])


def _check_metadata(sealed: SealedDay, name: str) -> dict[str, float]:
    result = sealed.checks[name]
    return {"value": float(result.value), **{k: float(v) for k, v in result.details.items()}}


def day_check_results(sealed: SealedDay) -> list[dg.AssetCheckResult]:
    """The day checks of a sealed day as results of the running asset."""
    return [
        dg.AssetCheckResult(
            asset_key=OPTION_CHAIN_DAILY, check_name=name, passed=result.passed, severity=severity_of(name),
            description=result.description, metadata=_check_metadata(sealed, name),
        )
        for name, result in sealed.checks.items()
    ]


def day_check_evaluations(sealed: SealedDay, partition: str) -> list[dg.AssetCheckEvaluation]:
    """The same results as evaluations reported outside a run (`g6 backfill`)."""
    return [
        dg.AssetCheckEvaluation(
            asset_key=OPTION_CHAIN_DAILY, check_name=name, passed=result.passed, severity=severity_of(name),
            description=result.description, metadata=_check_metadata(sealed, name),
            blocking=DAY_CHECKS[name].blocking, partition=partition,
        )
        for name, result in sealed.checks.items()
    ]


@dataclass(frozen=True)
class MasterCheck:
    """The weekday master's check over the (day, index) pairs one run folded."""

    passed: bool
    description: str
    metadata: dict[str, dg.MetadataValue | int]


def master_check(reports: list[WeekdayMasterReport]) -> MasterCheck:
    """Fails when any (day, index) has a critical issue; its messages are listed."""
    critical = [r for r in reports if not r.ok]
    severities: Counter[str] = Counter(issue.severity for r in reports for issue in r.issues)
    messages = [f"{r.index} {r.day.isoformat()}: {i.message}" for r in critical for i in r.issues
                if i.severity == "critical"]
    return MasterCheck(
        passed=not critical,
        description=(f"{len(critical)} of {len(reports)} (day, index) partitions have critical issues"
                     if critical else f"all {len(reports)} (day, index) partitions folded without a critical issue"),
        metadata={
            "partitions_with_critical_issues": len(critical),
            "critical": severities["critical"],
            "warnings": severities["warning"],
            "issues": dg.MetadataValue.md("\n".join(f"- {m}" for m in messages[:50]) or "none"),
        },
    )


def master_check_result(reports: list[WeekdayMasterReport]) -> dg.AssetCheckResult:
    """The weekday master's check as a result of the running asset (ERROR when it fails)."""
    check = master_check(reports)
    return dg.AssetCheckResult(
        asset_key=WEEKDAY_MASTER, check_name=MASTER_QUALITY, severity=dg.AssetCheckSeverity.ERROR,
        passed=check.passed, description=check.description, metadata=check.metadata,
    )


def master_check_evaluation(reports: list[WeekdayMasterReport], partition: str) -> dg.AssetCheckEvaluation:
    """The same result as an evaluation reported outside a run (`g6 backfill`), for one partition."""
    check = master_check(reports)
    return dg.AssetCheckEvaluation(
        asset_key=WEEKDAY_MASTER, check_name=MASTER_QUALITY, severity=dg.AssetCheckSeverity.ERROR,
        passed=check.passed, description=check.description, metadata=check.metadata, partition=partition,
    )
