"""G6's Dagster definitions: minute collection, the daily assets, and maintenance."""

import dagster as dg

from g6_pipeline.defs import collection, daily, maintenance
from g6_pipeline.defs.resources import G6Resource

defs = dg.Definitions.merge(
    collection.defs,
    daily.defs,
    maintenance.defs,
    dg.Definitions(resources={"g6": G6Resource()}),
)
