"""G6's Dagster definitions: everything under `defs/` (collection, history, maintenance), loaded when Dagster
asks for them, with the resources every definition shares."""

from pathlib import Path

import dagster as dg

import g6_pipeline.defs as defs_package
from g6_pipeline.defs.resources import shared_resources


@dg.definitions
def defs() -> dg.Definitions:
    """The definitions of every module under `defs/`, and the resources they share.

    The tree is built from the `defs` package itself (as `dg.load_from_defs_folder` does from the project's
    `[tool.dg]` table), so an installed wheel, with no pyproject.toml beside it, loads the same definitions.
    """
    tree = dg.ComponentTree(
        defs_module=defs_package, project_root=Path(__file__).resolve().parent.parent, code_location_name="g6_pipeline"
    )
    return dg.Definitions.merge(tree.build_defs(), dg.Definitions(resources=shared_resources()))
