"""G6's Dagster definitions: everything under `defs/` (collection, history, maintenance), loaded when Dagster
asks for them, with the resource every definition shares."""

from pathlib import Path

import dagster as dg

from g6_pipeline.defs.resources import shared_resources


@dg.definitions
def defs() -> dg.Definitions:
    """The definitions of every module under `defs/`, and the resources they share."""
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(resources=shared_resources()),
    )
