"""`g6 diagnose` calls a Pushgateway reachable exactly when a push to the same URL works, user info included."""

from __future__ import annotations

from pathlib import Path

import pytest

from g6_pipeline.cli.diagnose_checks import diagnose
from g6_pipeline.cli.diagnose_cmd import render
from g6_pipeline.metrics import push_cycle
from g6_pipeline.settings.model import Settings
from g6_pipeline_tests.cli.diagnose_setup import context
from g6_pipeline_tests.fakes.servers import start_pushgateway
from g6_pipeline_tests.metrics.chains import make_report

USER, PASSWORD = "g6push", "pw-Hunter2@gw"


@pytest.mark.slow
def test_diagnose_and_push_agree_on_a_guarded_gateway(tmp_path: Path) -> None:
    with start_pushgateway(tmp_path / "pgw", users={USER: PASSWORD}) as gateway:
        host = gateway.url.removeprefix("http://")
        urls = {
            "right": f"http://{USER}:pw-Hunter2%40gw@{host}",
            "wrong": f"http://{USER}:not-Hunter2@{host}",
            "none": gateway.url,
        }
        found = {}
        pushed = {}
        for case, url in urls.items():
            results = diagnose(context(tmp_path / case, {"metrics": {"pushgateway_url": url}}))
            found[case] = {r.name: r for r in results}["pushgateway"]
            assert "Hunter2" not in render(results)
            settings = Settings()
            settings.metrics.pushgateway_url = url
            pushed[case] = push_cycle(make_report(("NIFTY",)), settings).ok
    assert {c: f.status for c, f in found.items()} == {"right": "ok", "wrong": "fail", "none": "fail"}
    assert pushed == {"right": True, "wrong": False, "none": False}
    assert "answered HTTP 401" in found["wrong"].detail and "answered HTTP 401" in found["none"].detail
