"""The exchanges' F&O bhavcopy files in Dagster: one partition per (trading day, exchange), with the file's checks.

`g6 import-bhavcopy` reads the files outside a run and reports each here (`bhavcopy_file_events`): the
materialization names the file, its source and what it listed, and the checks of `history.imports.FILE_CHECKS`
say whether it read (`readable`, failing on a malformed file with its line) and held every wanted index
(`complete`). The (day, index) days it wrote are partitions of the daily assets, sealed and checked like a
collected day. The checks can be run again from the UI: they read the file the partition's last
materialization names.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from g6_pipeline.defs.metadata import OWNERS, TAGS
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history.imports import FILE_CHECKS, FileReport, read_file
from g6_pipeline.history.quality import CheckResult
from g6_pipeline.providers.bhavcopy import SOURCE, BhavcopyError

BHAVCOPY_DAYS_NAME = "g6_bhavcopy_days"
DATE_DIMENSION, EXCHANGE_DIMENSION = "date", "exchange"
BHAVCOPY_FILES = dg.MultiPartitionsDefinition({
    DATE_DIMENSION: dg.DynamicPartitionsDefinition(name=BHAVCOPY_DAYS_NAME),
    EXCHANGE_DIMENSION: dg.StaticPartitionsDefinition(["BSE", "NSE"]),
})
"""Every bhavcopy day an import read (YYYY-MM-DD) × the exchange that published the file."""
BHAVCOPY_FILE = dg.AssetKey("bhavcopy_file")

bhavcopy_file = dg.AssetSpec(
    BHAVCOPY_FILE,
    partitions_def=BHAVCOPY_FILES,
    group_name="reference",
    kinds={"csv"},
    owners=OWNERS,
    tags=TAGS,
    description=(
        "One exchange's end-of-day F&O bhavcopy (UDiFF) of one trading day, as `g6 import-bhavcopy` read it: "
        "the file, its source and the indices it listed. Each (day, index) it held is imported as a close-of-day "
        "day (source bhavcopy) of option_chain_daily. Reported by the import, not computed in a run."
    ),
)


def partition_of(report: FileReport) -> str:
    """The `date|exchange` partition key of a read file (its day and exchange must be known)."""
    assert report.day is not None and report.exchange
    return str(dg.MultiPartitionKey({DATE_DIMENSION: report.day.isoformat(), EXCHANGE_DIMENSION: report.exchange}))


def _evaluation(name: str, result: CheckResult, partition: str | None) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=BHAVCOPY_FILE, check_name=name, passed=result.passed, severity=dg.AssetCheckSeverity.ERROR,
        description=result.description, metadata={k: float(v) for k, v in result.details.items()},
        blocking=FILE_CHECKS[name].blocking, partition=partition,
    )


def bhavcopy_file_events(report: FileReport) -> list[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """A read file as the events the asset would log: its materialization (when it read) and both checks."""
    partition = partition_of(report)
    events: list[dg.AssetMaterialization | dg.AssetCheckEvaluation] = []
    if report.error is None:
        metadata: dict[str, Any] = {
            "path": dg.MetadataValue.path(str(report.path)), "source": f"{SOURCE} ({report.exchange} UDiFF)",
            "option_rows": report.rows, "indices": ", ".join(report.indices), "missing": ", ".join(report.missing),
            "written_by": "g6 import-bhavcopy",
        }
        events.append(dg.AssetMaterialization(BHAVCOPY_FILE, partition=partition, metadata=metadata))
    events += [_evaluation(name, result, partition) for name, result in report.checks().items()]
    return events


def _recheck(context: dg.AssetCheckExecutionContext, g6: G6Resource, name: str) -> dg.AssetCheckResult:
    """Read the file the partition's last materialization names again and judge it."""
    setup = g6.setup()
    key = context.partition_key
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=BHAVCOPY_FILE, asset_partitions=[key]), limit=1).records
    path_value = records[0].asset_materialization.metadata.get("path") if records and records[0].asset_materialization else None
    if path_value is None or not Path(str(path_value.value)).is_file():
        result = CheckResult(False, 0.0, f"no file to read for {key}: import it with g6 import-bhavcopy")
    else:
        path = Path(str(path_value.value))
        try:
            _, report = read_file(setup, path, list(setup.settings.enabled_indices), None, None, all_strikes=False)
        except BhavcopyError as exc:
            report = FileReport(path, "", None, error=str(exc))
        result = report.checks()[name]
    return dg.AssetCheckResult(passed=result.passed, check_name=name, severity=dg.AssetCheckSeverity.ERROR,
                               description=result.description)


@dg.asset_check(asset=BHAVCOPY_FILE, name="readable", description=FILE_CHECKS["readable"].description,
                blocking=FILE_CHECKS["readable"].blocking, partitions_def=BHAVCOPY_FILES)
def bhavcopy_readable(context: dg.AssetCheckExecutionContext, g6: G6Resource) -> dg.AssetCheckResult:
    """The file reads as a UDiFF F&O bhavcopy."""
    return _recheck(context, g6, "readable")


@dg.asset_check(asset=BHAVCOPY_FILE, name="complete", description=FILE_CHECKS["complete"].description,
                blocking=FILE_CHECKS["complete"].blocking, partitions_def=BHAVCOPY_FILES)
def bhavcopy_complete(context: dg.AssetCheckExecutionContext, g6: G6Resource) -> dg.AssetCheckResult:
    """The file lists every wanted index of its exchange."""
    return _recheck(context, g6, "complete")
