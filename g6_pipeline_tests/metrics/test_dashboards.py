"""The Grafana dashboards: schema-checked, and every query answered by a real Prometheus fed by a real push.

Schema check: each dashboard is decoded with `grafana-foundation-sdk` (Grafana 10.1's published schema as
Python models) and encoded again. A key the schema does not know is lost on that round trip and reported, and
the decoded models' fields are checked against the schema's types (strings, numbers, booleans, lists,
literals, enums, nested models). It does not check queries: that is the end-to-end test below, which pushes
cycle reports to a real Pushgateway, lets a real Prometheus (1 s scrapes, `honor_labels: true`, the
repository's rules) scrape it, then evaluates every template-variable query and every panel query through
Prometheus' HTTP API and fails on a parse error or an empty result.
"""

from __future__ import annotations

import enum
import json
import re
import time
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import CycleReport
from g6_pipeline.core.schema import EXPIRY_TAGS, TIMESTAMP
from g6_pipeline.metrics import push_asset_check, push_cycle, push_weekday_master
from g6_pipeline.settings.model import Settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline_tests.fakes.cycles import REPORT_MINUTE
from g6_pipeline_tests.fakes.servers import REPO, Server

DASHBOARDS = sorted((REPO / "grafana" / "dashboards").glob("*.json"))
RATE_INTERVAL = "1m"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_three_dashboards_exist() -> None:
    titles = {_load(p)["title"] for p in DASHBOARDS}
    assert titles == {"G6 Collection Health", "G6 Market Analytics", "G6 Storage"}


def _lost_keys(original: Any, round_trip: Any, where: str = "$") -> list[str]:
    if isinstance(original, dict):
        if not isinstance(round_trip, dict):
            return [f"{where}: expected an object"]
        lost = [f"{where}.{k}" for k in original if k not in round_trip]
        for k in original:
            if k in round_trip:
                lost += _lost_keys(original[k], round_trip[k], f"{where}.{k}")
        return lost
    if isinstance(original, list) and isinstance(round_trip, list) and len(original) == len(round_trip):
        return [e for i, (a, b) in enumerate(zip(original, round_trip, strict=True)) for e in _lost_keys(a, b, f"{where}[{i}]")]
    return []


def _type_errors(obj: Any, where: str = "$") -> list[str]:
    """Check every annotated field of a decoded schema model against its declared type."""
    if not hasattr(obj, "to_json"):
        return []
    errors: list[str] = []
    hints = typing.get_type_hints(type(obj), vars(__import__(type(obj).__module__, fromlist=["_"])))
    for name, hint in hints.items():
        errors += _check_value(getattr(obj, name, None), hint, f"{where}.{name}")
    return errors


def _check_value(value: Any, hint: Any, where: str) -> list[str]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is typing.Any or hint is object:
        return []
    if origin in (typing.Union, types.UnionType):
        results = [_check_value(value, a, where) for a in args]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is typing.Literal:
        return [] if value in args else [f"{where}: {value!r} not one of {args}"]
    if value is None:
        return [] if hint is type(None) else [f"{where}: missing"]
    if origin in (list, tuple):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [e for i, v in enumerate(value) for e in _check_value(v, args[0], f"{where}[{i}]")] if args else []
    if origin is dict:
        return [] if isinstance(value, dict) else [f"{where}: expected an object"]
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            values = {m.value for m in hint}
            return [] if value in values or isinstance(value, hint) else [f"{where}: {value!r} not in {sorted(values)}"]
        if hint is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif hint is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, hint)
        if not ok:
            return [f"{where}: expected {hint.__name__}, got {type(value).__name__}"]
        return _type_errors(value, where)
    return []


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_matches_grafana_schema(path: Path) -> None:
    original = _load(path)
    model = Dashboard.from_json(original)
    round_trip = json.loads(json.dumps(model, cls=JSONEncoder))
    assert _lost_keys(original, round_trip) == []
    assert _type_errors(model) == []
    panel_ids = [p["id"] for p in original["panels"]]
    assert len(panel_ids) == len(set(panel_ids)), "panel ids must be unique"
    for panel in original["panels"]:
        assert panel["datasource"]["uid"] == "g6-prometheus" and panel["targets"], panel["title"]


def test_schema_check_catches_unknown_keys_and_wrong_types() -> None:
    broken = _load(DASHBOARDS[0])
    broken["panels"][0]["gridPosition"] = {"h": 8}
    broken["panels"][1]["title"] = 42
    model = Dashboard.from_json(broken)
    assert "$.panels[0].gridPosition" in _lost_keys(broken, json.loads(json.dumps(model, cls=JSONEncoder)))
    assert any("panels[1].title" in e for e in _type_errors(model))


# ---------------------------------------------------------------- end to end against real servers


def _api(prometheus: Server, path: str, **params: str) -> Any:
    url = f"{prometheus.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
    if body.get("status") != "success":
        raise AssertionError(f"{params}: {body.get('errorType')}: {body.get('error')}")
    return body["data"]


def _wait_for(prometheus: Server, query: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not _api(prometheus, "query", query=query)["result"]:
        if time.monotonic() > deadline:
            raise AssertionError(f"Prometheus never answered {query!r} within {timeout} s")
        time.sleep(0.2)


def _store_daily_closes(data_dir: Path, indices: tuple[str, ...], before: date, sessions: int = 25) -> None:
    """Closing overview minutes (ATM IV and source only) of `sessions` weekdays before `before`, as stored days
    hold them, so that the cycles (collected: the kite provider) have an IV history to rank against."""
    day, stored = before, 0
    while stored < sessions:
        day -= timedelta(days=1)
        if day.weekday() >= 5:
            continue
        stored += 1
        close = datetime.combine(day, dtime(15, 29), tzinfo=IST)
        columns = {"timestamp": pa.array([close], type=TIMESTAMP), "source": pa.array(["kite"])}  # collected
        columns |= {f"atm_iv_{tag}": pa.array([0.08 + 0.004 * stored]) for tag in EXPIRY_TAGS}
        for index in indices:
            path = DataLocation(data_dir).sealed_file("overview", day, index)
            Path(path.path).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.table(columns), path.path)


@pytest.fixture
def populated_prometheus(
    prometheus: Server, pushgateway: Server, report_factory: Callable[..., CycleReport], tmp_path: Path
) -> Iterator[Server]:
    """Prometheus after two collection cycles (and the daily jobs) were pushed and scraped, rules evaluated.

    The reports come from `report_factory` (real cycles writing under `tmp_path/data`, where earlier daily
    closes are stored first for the IV rank); swap that fixture for another source of reports to test from it.
    """
    _store_daily_closes(tmp_path / "data", ("NIFTY", "SENSEX"), REPORT_MINUTE.date())
    settings = Settings()
    settings.metrics.pushgateway_url = pushgateway.url
    settings.metrics.groups = ["core", "provider", "analytics", "storage", "per_option"]
    first = report_factory()
    assert push_cycle(first, settings).ok
    _wait_for(prometheus, "g6_collection_runs_total")
    second = report_factory(minute=first.minute + timedelta(minutes=1))
    assert push_cycle(second, settings).ok
    for index in first.indices:
        assert push_weekday_master(index, 375, {"warning": 1}, settings).ok
        assert push_asset_check("legs_complete", index, True, settings).ok
    _wait_for(prometheus, "increase(g6_collection_runs_total[1m]) > 0")
    _wait_for(prometheus, "g6:collection_failure_ratio:5m")
    _wait_for(prometheus, "g6_asset_check_passed")
    yield prometheus


def _label_values(prometheus: Server, query: str) -> list[str]:
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query.strip())
    assert match, f"template query {query!r} is not label_values(selector, label)"
    selector, label = match.groups()
    values: list[str] = _api(prometheus, f"label/{label}/values", **{"match[]": selector})
    return values


def _substitute(expr: str, variables: dict[str, str]) -> str:
    for name, value in sorted(variables.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(f"${name}", value)
    return expr.replace("$__rate_interval", RATE_INTERVAL)


@pytest.mark.slow
def test_every_panel_and_variable_query_answers_on_a_real_prometheus(populated_prometheus: Server) -> None:
    failures: list[str] = []
    evaluated = 0
    for path in DASHBOARDS:
        dashboard = _load(path)
        variables: dict[str, str] = {}
        for var in dashboard["templating"]["list"]:
            if var["type"] == "textbox":  # a filter the user types: empty by default, matching everything
                variables[var["name"]] = var["query"]
                continue
            query = _substitute(var["query"]["query"], variables)
            values = _label_values(populated_prometheus, query)
            evaluated += 1
            if not values:
                failures.append(f"{path.stem}: variable ${var['name']} ({query}) has no values")
                continue
            multi = var.get("multi") or var.get("includeAll")
            variables[var["name"]] = "|".join(re.escape(v) for v in values) if multi else values[0]
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = _substitute(target["expr"], variables)
                evaluated += 1
                try:
                    result = _api(populated_prometheus, "query", query=expr)["result"]
                except AssertionError as exc:
                    failures.append(f"{path.stem} / {panel['title']}: {expr}: {exc}")
                    continue
                if not result:
                    failures.append(f"{path.stem} / {panel['title']}: {expr}: empty result")
    assert not failures, "\n".join(failures)
    assert evaluated >= 40
    # the underlying filter a user types narrows the list (any case): two hundred underlyings stay findable
    health = _load(REPO / "grafana" / "dashboards" / "g6-collection-health.json")
    index_query = next(v for v in health["templating"]["list"] if v["name"] == "index")["query"]["query"]
    every = _label_values(populated_prometheus, _substitute(index_query, {"match": ""}))
    part = every[-1][1:4].lower()
    expected = [name for name in every if part in name.lower()]
    assert _label_values(populated_prometheus, _substitute(index_query, {"match": part})) == expected != every
