"""Maintenance: retention of runs and raw files."""
