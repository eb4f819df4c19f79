"""Maintenance: retention of runs and raw files."""

import dagster as dg

from g6_pipeline.defs.maintenance.retention import retention_job, retention_schedule

defs = dg.Definitions(jobs=[retention_job], schedules=[retention_schedule])
