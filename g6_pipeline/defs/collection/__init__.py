"""Minute collection: the job and the sensor that drives it."""

import dagster as dg

from g6_pipeline.defs.collection.job import COLLECTION_RESOURCES, collection_job
from g6_pipeline.defs.collection.sensor import minute_sensor

defs = dg.Definitions(jobs=[collection_job], sensors=[minute_sensor], resources=COLLECTION_RESOURCES)
