"""The one interface every sink implements: take a minute's enriched chains, write them, say what happened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain


class Sink(Protocol):
    """A destination for enriched chains (Parquet, classic CSV, InfluxDB).

    `write` must not raise for a bad destination: it reports the failure in the returned `SinkOutcome`
    so that one failing sink never stops the others. Writing the same minute twice replaces that minute.
    """

    name: str

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute's chains (one per collected index)."""
        ...
