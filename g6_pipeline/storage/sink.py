"""The one interface every sink implements: take a minute's enriched chains, write them, say what happened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from g6_pipeline.core.report import SinkOutcome
from g6_pipeline.core.snapshot import EnrichedChain

if TYPE_CHECKING:
    from g6_pipeline.storage.minute import MinuteJournal


class Sink(Protocol):
    """A destination for enriched chains (Parquet, classic CSV, InfluxDB).

    `write` must not raise for a bad destination: it reports the failure in the returned `SinkOutcome`
    so that one failing sink never stops the others. Writing the same minute twice replaces that minute.
    """

    name: str

    def write(self, chains: Sequence[EnrichedChain]) -> SinkOutcome:
        """Write one minute's chains (one per collected index)."""
        ...


@runtime_checkable
class MinuteStore(Protocol):
    """A store of the minute (Parquet, classic CSV) that writes one index's minute under a `minute.MinuteJournal`.

    Before changing a file it tells the journal (`replacing` / `appending`), so that a failure in any store of the
    minute undoes the index's minute in all of them. It raises on any failure; the journal names the file.
    """

    name: str

    def write_minute(self, chain: EnrichedChain, journal: MinuteJournal | None = None) -> tuple[int, int]:
        """Write one chain's minute; (rows, bytes). Alone (no journal) it is committed whole or raises."""
        ...
