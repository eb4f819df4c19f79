"""G6's Dagster definitions against one reviewed file: every asset (partitions, dependencies, automation, checks),
job, sensor and schedule. A change to any of them shows in the diff of `definitions_snapshot.json`.

After a deliberate change: `G6_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest g6_pipeline_tests/defs/test_definitions_snapshot.py`,
then review the file's diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")
REPO = Path(__file__).resolve().parents[2]


def condition_text(condition: dg.AutomationCondition | None, root: bool = True) -> str | None:
    """An automation condition as an expression of its named parts (a labelled part by its label)."""
    if condition is None:
        return None
    label = condition.get_label()
    if label and not root:
        return label
    parts = [condition_text(child, root=False) or "" for child in condition.children]
    if condition.name == "AND":
        text = " & ".join(parts)
    elif condition.name == "OR":
        text = "(" + " | ".join(parts) + ")"
    elif condition.name == "NOT":
        text = "~" + parts[0]
    elif condition.name == "SINCE":
        text = f"{parts[0]}.since({parts[1]})"
    else:
        text = condition.name
    return f"{label}: {text}" if root and label else text


def partitions_text(partitions: dg.PartitionsDefinition | None) -> str | None:
    """A partitions definition by its kind and dimensions."""
    if partitions is None:
        return None
    if isinstance(partitions, dg.MultiPartitionsDefinition):
        return " × ".join(f"{d.name}: {partitions_text(d.partitions_def)}" for d in partitions.partitions_defs)
    if isinstance(partitions, dg.DynamicPartitionsDefinition):
        return f"dynamic {partitions.name}"
    return type(partitions).__name__


def snapshot() -> dict[str, Any]:
    """The reviewed facts of the definitions, in a stable order."""
    from g6_pipeline.definitions import defs

    repo = defs().get_repository_def()
    graph = repo.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        checks = sorted(graph.get_check_keys_for_assets({key}), key=lambda k: k.name)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "executable": node.is_executable,
            "partitions": partitions_text(node.partitions_def),
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "automation": condition_text(node.automation_condition),
            "checks": {c.name: {"blocking": graph.get(c).blocking} for c in checks},
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "sensors": {s.name: {"interval_seconds": s.minimum_interval_seconds,
                             "default": s.default_status.value} for s in sorted(repo.sensor_defs, key=lambda s: s.name)},
        "schedules": {s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone,
                               "default": s.default_status.value} for s in sorted(repo.schedule_defs, key=lambda s: s.name)},
    }


def test_the_definitions_match_the_reviewed_snapshot() -> None:
    current = json.dumps(snapshot(), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("G6_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text(), f"the definitions changed: review, then update {SNAPSHOT.name} (see the docstring)"


def test_a_module_added_under_defs_is_loaded(tmp_path: Path) -> None:
    """The definitions load every module under `defs/`: a copy of the package with one more file shows it. The
    copy has no pyproject.toml beside it, as an installed wheel has none."""
    package = tmp_path / "g6_pipeline"
    subprocess.run(["cp", "-r", str(REPO / "g6_pipeline"), str(package)], check=True)
    (package / "defs" / "maintenance" / "extra.py").write_text(
        "import dagster as dg\n\n\n@dg.asset(group_name='extra')\ndef an_added_asset() -> None:\n    return None\n"
    )
    code = ("from g6_pipeline.definitions import defs; "
            "print(sorted(k.to_user_string() for k in defs().get_repository_def().asset_graph.get_all_asset_keys()))")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "G6_DATA_DIR": str(tmp_path / "data")}
    listed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300, check=True).stdout
    assert "an_added_asset" in listed and "weekday_master" in listed


def test_importing_the_definitions_reads_no_data_and_no_configuration(tmp_path: Path) -> None:
    """Loading the definitions reads neither the configuration nor the data directory: with a broken
    configuration file and a data directory that does not exist, they load, and nothing is created."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "platform_config.json").write_text("{ this is not JSON")
    code = "import g6_pipeline.definitions as m; print(len(m.defs().get_repository_def().asset_graph.get_all_asset_keys()))"
    env = {**os.environ, "G6_CONFIG_DIR": str(config), "G6_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) >= 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"], "nothing was created"
