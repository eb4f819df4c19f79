"""Opening a data directory: the one place its layout is brought up to date.

A process opens its data location once (`process.setup.ProcessSetup.load`, the notebook face, a CLI command
that works on a folder) and hands the `DataLocation` down; no reader or writer checks the layout again. A
directory still in an older layout is migrated then (`parquet.migrate_layout`, idempotent and crash-safe);
one in the current layout costs one `exists` of its layout marker.
"""

from __future__ import annotations

import os

from upath import UPath

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.storage.migrate import old_partitions
from g6_pipeline.storage.parquet import migrate_layout


def open_location(root: str | os.PathLike[str] | UPath | DataLocation) -> DataLocation:
    """The data location at `root`, its Parquet layout brought up to date if it is older than this version's.

    A read-only directory already in the current layout opens without its marker (nothing to move, and the
    marker cannot be written); one that still needs moving raises `PermissionError`.
    """
    location = root if isinstance(root, DataLocation) else DataLocation(root)
    if not location.exists(location.parquet_root()) or location.exists(location.layout_marker()):
        return location
    try:
        migrate_layout(location)
    except PermissionError:
        if old_partitions(location):
            raise
    return location
