"""Secrets never reach a log handler."""

from __future__ import annotations

import logging

import pytest

from g6_pipeline.util.logs import SecretMaskFilter, configure_logging
from g6_pipeline.util.redact import mask_secrets


def test_known_secret_values_are_masked_in_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("g6.test.secrets")
    caplog.handler.addFilter(SecretMaskFilter(["abc123secret", "influx-tok"]))
    logger.warning("token is %s and %s", "abc123secret", {"influx": "influx-tok"})
    try:
        raise RuntimeError("failed with abc123secret")
    except RuntimeError:
        logger.exception("boom")
    text = caplog.text
    assert "abc123secret" not in text and "influx-tok" not in text
    assert text.count("***") >= 3
    assert "RuntimeError" in text  # the traceback itself is kept


@pytest.mark.parametrize(
    ("raw", "leaked"),
    [
        ("Authorization: token myapikey:AcCeSsToKeN42", "AcCeSsToKeN42"),
        ("POST /session/token api_secret=shh&request_token=rq1", "shh"),
        ("POST /session/token api_secret=shh&request_token=rq1", "rq1"),
        ('{"access_token": "zzzTOKzzz", "user": "AB1234"}', "zzzTOKzzz"),
        ("checksum=deadbeef01", "deadbeef01"),
    ],
)
def test_secret_shaped_pairs_are_masked_without_being_known(raw: str, leaked: str) -> None:
    masked = mask_secrets(raw)
    assert leaked not in masked
    assert "***" in masked


def test_configure_logging_installs_one_masking_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", ["top-secret-1"])
    configure_logging("INFO", ["top-secret-2"])
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_g6", False)]
    assert len(ours) == 1
    logging.getLogger("g6_pipeline.test").info("value top-secret-2 here")
    err = capsys.readouterr().err
    assert "top-secret-2" not in err and "value *** here" in err
    root.removeHandler(ours[0])


def test_g6_records_are_masked_for_any_handler_and_other_libraries_are_quiet() -> None:
    """A handler G6 does not own (as Dagster adds one to capture a run's logs) still gets masked G6 records;
    other libraries' INFO lines (alembic's, say) are not shown, their warnings are."""
    configure_logging("INFO", ["hunter2-secret"])
    seen: list[logging.LogRecord] = []

    class Foreign(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    foreign = Foreign()
    logging.getLogger("g6_pipeline").addHandler(foreign)
    logging.getLogger().addHandler(foreign)
    try:
        logging.getLogger("g6_pipeline.collection").info("login with %s", "hunter2-secret")
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
        logging.getLogger("alembic.runtime.migration").warning("a real warning")
    finally:
        logging.getLogger("g6_pipeline").removeHandler(foreign)
        logging.getLogger().removeHandler(foreign)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_g6", False)]:
            root.removeHandler(handler)
    messages = [record.getMessage() for record in seen]
    assert "login with ***" in messages
    assert all("hunter2-secret" not in m for m in messages)
    assert "Context impl SQLiteImpl." not in messages and "a real warning" in messages
