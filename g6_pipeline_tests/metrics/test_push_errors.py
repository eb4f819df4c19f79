"""What a failed push says: the gateway's own words, cleaned, without the URL's user name or password."""

from __future__ import annotations

import pytest

from g6_pipeline.metrics import pusher
from g6_pipeline.metrics.values import MetricValues, PushGroup

URL = "http://operator:s3cret-pass@gateway.example:9091"


def test_unreadable_gateway_reason_is_cleaned_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str, timeout: float) -> list[pusher.Sample]:
        raise OSError(f"proxy refused {url}\x1b[31m\r\nERROR forged line")

    monkeypatch.setattr(pusher, "read_gateway", refuse)
    outcome = pusher.push_groups(URL, [PushGroup("g6_collection", (("index", "NIFTY"),), MetricValues(["core"]))])

    assert (outcome.pushed, outcome.failed) == (0, 1)
    (reason,) = outcome.errors
    assert reason.startswith("cannot read http://gateway.example:9091: OSError: proxy refused http://")
    assert "ERROR forged line" in reason
    for leaked in ("operator", "s3cret-pass", "\x1b", "\r", "\n"):
        assert leaked not in reason
