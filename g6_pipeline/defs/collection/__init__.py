"""Minute collection: the job and the sensor that drives it; gap repair after an outage."""

import dagster as dg

from g6_pipeline.defs.collection.gap_repair import gap_repair_job, gap_repair_sensor
from g6_pipeline.defs.collection.job import COLLECTION_RESOURCES, collection_job
from g6_pipeline.defs.collection.sensor import minute_sensor

defs = dg.Definitions(
    jobs=[collection_job, gap_repair_job],
    sensors=[minute_sensor, gap_repair_sensor],
    resources=COLLECTION_RESOURCES,
)
