"""A Pushgateway URL with user info pushes with HTTP basic auth, to a real Pushgateway that demands it."""

from __future__ import annotations

import base64
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from g6_pipeline.metrics import push_cycle
from g6_pipeline.metrics.pusher import Credentials, split_credentials
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.fakes.servers import Server, start_pushgateway
from g6_pipeline_tests.metrics.chains import MINUTE, make_report

USER, PASSWORD = "g6push", "pw-Hunter2:x@y"
"""A password with the characters a URL must percent-encode (`@`) or that split user info (`:`)."""
QUOTED = "pw-Hunter2:x%40y"


def test_user_info_leaves_the_url_and_becomes_credentials() -> None:
    bare, credentials = split_credentials(f"https://{USER}:{QUOTED}@gw.example:9443/base?x=1")
    assert bare == "https://gw.example:9443/base?x=1"
    assert credentials == Credentials(USER, PASSWORD)
    assert credentials is not None and PASSWORD not in repr(credentials)
    expected = base64.b64encode(b"g6push:pw-Hunter2:x@y").decode()
    assert credentials.header() == f"Basic {expected}"


def test_a_url_without_user_info_is_kept() -> None:
    assert split_credentials("http://127.0.0.1:9091") == ("http://127.0.0.1:9091", None)
    assert split_credentials("http://[::1]:9091/") == ("http://[::1]:9091/", None)
    assert split_credentials("http://only-user@host:9091") == ("http://host:9091", Credentials("only-user", ""))


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Server]:
    """A real Pushgateway that answers only requests with `USER`'s basic auth."""
    with start_pushgateway(tmp_path / "pgw", users={USER: PASSWORD}) as server:
        yield server


def _url(server: Server, password: str = QUOTED) -> str:
    return server.url.replace("http://", f"http://{USER}:{password}@")


def _settings(url: str) -> Settings:
    settings = Settings()
    settings.metrics.pushgateway_url = url
    return settings


def _runs_ok(server: Server) -> float:
    """`g6_collection_runs_total{result="ok"}` of the NIFTY group, read with the right credentials."""
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "g6_collection_runs_total" and s.labels.get("result") == "ok" and s.labels.get("index") == "all"
    )


@pytest.mark.slow
def test_pushes_with_basic_auth_and_counters_add_up(guarded: Server) -> None:
    settings = _settings(_url(guarded))
    first = push_cycle(make_report(("NIFTY",)), settings)
    assert first.ok and first.pushed == 2, first.errors
    # the second push reads the first one back (with the same credentials) and adds to it
    second = push_cycle(make_report(("NIFTY",), minute=MINUTE + timedelta(minutes=1)), settings)
    assert second.ok, second.errors
    assert _runs_ok(guarded) == 2


@pytest.mark.slow
def test_the_gateway_refuses_without_credentials(guarded: Server) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(guarded.url + "/metrics", timeout=5)
    assert refused.value.code == 401
    outcome = push_cycle(make_report(("NIFTY",)), _settings(guarded.url))
    assert not outcome.ok and outcome.pushed == 0


@pytest.mark.slow
def test_a_wrong_password_fails_without_showing_it(guarded: Server, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "not-the-Hunter2"
    with caplog.at_level(logging.WARNING):
        outcome = push_cycle(make_report(("NIFTY",)), _settings(_url(guarded, wrong)))
    assert not outcome.ok and outcome.pushed == 0
    (reason,) = outcome.errors
    assert "401" in reason and guarded.url.removeprefix("http://") in reason
    for shown in (reason, caplog.text):
        assert wrong not in shown and USER not in shown
