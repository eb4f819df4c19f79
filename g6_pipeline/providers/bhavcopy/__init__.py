"""The exchanges' end-of-day F&O bhavcopy as a source of history: read (`layout`), one close-of-day chain per
underlying and day (`chains`), downloaded from the archives (`fetch`). `analytics.close_of_day` prices the
chains into enriched rows with `source = "bhavcopy"`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from pathlib import Path

from g6_pipeline.core.schema import EXPIRY_TAGS
from g6_pipeline.providers.bhavcopy.chains import SOURCE, BhavcopyDay, chain_days
from g6_pipeline.providers.bhavcopy.layout import BhavcopyError, day_of_file_name, read_bhavcopy

__all__ = ["SOURCE", "BhavcopyDay", "BhavcopyError", "bhavcopy_files", "read_days"]


def bhavcopy_files(target: Path, start: date | None = None, end: date | None = None) -> list[Path]:
    """The bhavcopy files to read: `target` itself when it is a file, else the archive-named files in the folder
    (`BhavCopy_{NSE|BSE}_FO_0_0_0_YYYYMMDD_F_0000.csv[.zip]`) whose day is in [start, end], by day then name."""
    target = Path(target)
    if not target.is_dir():
        if not target.exists():
            raise BhavcopyError(f"{target}: no such file or folder")
        return [target]
    found = []
    for path in target.iterdir():
        day = day_of_file_name(path.name)
        if day is None or not path.is_file():
            continue
        if (start is None or day >= start) and (end is None or day <= end):
            found.append((day, path.name, path))
    return [path for _, _, path in sorted(found)]


def read_days(
    paths: Iterable[Path],
    start: date | None = None,
    end: date | None = None,
    underlyings: Collection[str] | None = None,
    tags: Sequence[str] = EXPIRY_TAGS,
    window: tuple[int, int] | None = None,
) -> list[BhavcopyDay]:
    """Every (underlying, day) chain of the files, filtered by day range and underlyings, in file order."""
    days: list[BhavcopyDay] = []
    for path in paths:
        rows = read_bhavcopy(path, start, end, underlyings)
        days.extend(chain_days(rows, str(path), tags, window))
    return days
