"""Minute collection: the job, the sensor that drives it, the minute data asset and its freshness."""
