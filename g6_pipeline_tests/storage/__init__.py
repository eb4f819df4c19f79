"""Tests of the storage formats, the read API, the weekday master and the data-quality checks."""
