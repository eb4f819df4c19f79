"""Logging for every G6 process: one line per event, and no secret ever reaches a handler."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from g6_pipeline.util.redact import mask_secrets

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecretMaskFilter(logging.Filter):
    """A logging filter that masks secrets in the rendered message (arguments and exception text included)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, mask it, and keep the record."""
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
            record.exc_info = None
            record.exc_text = None
        record.msg = mask_secrets(message, self.secrets)
        record.args = None
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of each record (it may be replaced, e.g. by tests)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


LOGGER_NAME = "g6_pipeline"
"""G6's own loggers are this one and its children (`logging.getLogger(__name__)` in every module)."""

_secrets: list[str] = []


def _masking_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A record factory that masks every G6 record as it is made, so whatever handler receives it (stderr,
    Dagster's event log, a test's capture) never sees a secret."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        name = record.name if isinstance(record.name, str) else ""  # `logging.makeLogRecord({})` has none
        if name == LOGGER_NAME or name.startswith(LOGGER_NAME + "."):
            SecretMaskFilter(_secrets).filter(record)
        return record

    make._g6 = True  # type: ignore[attr-defined]
    return make


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Set up logging once per process: G6's own lines at `level`, other libraries' from WARNING, one line per
    event on stderr, and secrets masked in G6's records at creation and in every record reaching stderr."""
    _secrets[:] = [s for s in secrets if s]
    if not getattr(logging.getLogRecordFactory(), "_g6", False):
        logging.setLogRecordFactory(_masking_factory(logging.getLogRecordFactory()))
    logging.getLogger(LOGGER_NAME).setLevel(level)
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    handler = next((h for h in root.handlers if getattr(h, "_g6", False)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._g6 = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.filters = [SecretMaskFilter(_secrets)]
