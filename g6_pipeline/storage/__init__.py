"""Storage: where files live (`location`), the Parquet and classic CSV sinks, and the daily seal."""
