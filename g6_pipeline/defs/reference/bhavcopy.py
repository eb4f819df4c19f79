"""The exchanges' F&O bhavcopy files in Dagster: one partition per (trading day, exchange), with the file's checks.

`g6 import-bhavcopy` reads the files outside a run and reports each here (`bhavcopy_file_events`): the
materialization names the file, its source and what it listed, and the checks of `history.imports.FILE_CHECKS`
say whether it read (`readable`, failing on a malformed file with its line) and held every wanted index
(`complete`). The (day, index) days it wrote are partitions of the daily assets, sealed and checked like a
collected day. Materializing a partition from the UI reads the file its last materialization names again and
checks it (it imports nothing: that is the command's).
"""

from pathlib import Path
from typing import Any

import dagster as dg

from g6_pipeline.defs.metadata import OWNERS, TAGS, check_severity, check_specs
from g6_pipeline.defs.resources import G6Resource
from g6_pipeline.history.imports import FILE_CHECKS, FileReport, read_file
from g6_pipeline.providers.bhavcopy import SOURCE, BhavcopyError

BHAVCOPY_DAYS_NAME = "g6_bhavcopy_days"
DATE_DIMENSION, EXCHANGE_DIMENSION = "date", "exchange"
BHAVCOPY_FILES = dg.MultiPartitionsDefinition({
    DATE_DIMENSION: dg.DynamicPartitionsDefinition(name=BHAVCOPY_DAYS_NAME),
    EXCHANGE_DIMENSION: dg.StaticPartitionsDefinition(["BSE", "NSE"]),
})
"""Every bhavcopy day an import read (YYYY-MM-DD) × the exchange that published the file."""
BHAVCOPY_FILE = dg.AssetKey("bhavcopy_file")

def partition_of(report: FileReport) -> str:
    """The `date|exchange` partition key of a read file (its day and exchange must be known)."""
    assert report.day is not None and report.exchange
    return str(dg.MultiPartitionKey({DATE_DIMENSION: report.day.isoformat(), EXCHANGE_DIMENSION: report.exchange}))


def file_metadata(report: FileReport) -> dict[str, Any]:
    """What a read file's materialization says: the file, its source, what it listed and lacked."""
    return {
        "path": dg.MetadataValue.path(str(report.path)), "source": f"{SOURCE} ({report.exchange} UDiFF)",
        "option_rows": report.rows, "indices": ", ".join(report.indices), "missing": ", ".join(report.missing),
    }


def bhavcopy_file_events(report: FileReport) -> list[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """A file the import read, as the events the asset would log: its materialization (when it read) and both
    checks."""
    partition = partition_of(report)
    events: list[dg.AssetMaterialization | dg.AssetCheckEvaluation] = []
    if report.error is None:
        events.append(dg.AssetMaterialization(BHAVCOPY_FILE, partition=partition,
                                              metadata={**file_metadata(report), "written_by": "g6 import-bhavcopy"}))
    events += [
        dg.AssetCheckEvaluation(
            asset_key=BHAVCOPY_FILE, check_name=name, passed=result.passed, severity=check_severity(FILE_CHECKS[name]),
            description=result.description, metadata={k: float(v) for k, v in result.details.items()},
            blocking=FILE_CHECKS[name].blocking, partition=partition,
        )
        for name, result in report.checks().items()
    ]
    return events


def recorded_path(instance: dg.DagsterInstance, partition: str) -> Path | None:
    """The file the partition's last materialization names (None when there is none)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=BHAVCOPY_FILE, asset_partitions=[partition]), limit=1).records
    materialization = records[0].asset_materialization if records else None
    value = materialization.metadata.get("path") if materialization is not None else None
    return Path(str(value.value)) if value is not None else None


@dg.asset(
    key=BHAVCOPY_FILE,
    partitions_def=BHAVCOPY_FILES,
    check_specs=check_specs(BHAVCOPY_FILE, FILE_CHECKS),
    group_name="reference",
    kinds={"csv"},
    owners=OWNERS,
    tags=TAGS,
    description=(
        "One exchange's end-of-day F&O bhavcopy (UDiFF) of one trading day, as g6 import-bhavcopy read it: the "
        "file, its source and the indices it listed; each (day, index) it held is a close-of-day day (source "
        "bhavcopy) of option_chain_daily. Recorded by the import; materializing a partition here reads the "
        "file it names again and checks it."
    ),
)
def bhavcopy_file(context: dg.AssetExecutionContext, g6: G6Resource) -> dg.MaterializeResult:
    """Read the file the partition's last materialization names again, and check it."""
    setup = g6.setup()
    path = recorded_path(context.instance, context.partition_key)
    if path is None or not path.is_file():
        raise dg.Failure(description=f"no file to read for {context.partition_key}"
                         + (f" ({path} is gone)" if path is not None else "") + ": import it with g6 import-bhavcopy",
                         allow_retries=False)
    try:
        _, report = read_file(setup, path, list(setup.settings.enabled_indices), None, None, all_strikes=False)
    except BhavcopyError as exc:
        report = FileReport(path, "", None, error=str(exc))
    return dg.MaterializeResult(metadata=file_metadata(report), check_results=[
        dg.AssetCheckResult(check_name=name, passed=result.passed, severity=check_severity(FILE_CHECKS[name]),
                            description=result.description,
                            metadata={k: float(v) for k, v in result.details.items()})
        for name, result in report.checks().items()
    ])
