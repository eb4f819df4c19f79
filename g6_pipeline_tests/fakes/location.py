"""A fresh data directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from g6_pipeline.storage.location import DataLocation


@pytest.fixture
def location(tmp_path: Path) -> DataLocation:
    """A data directory in the test's temporary folder."""
    return DataLocation(tmp_path / "data")
