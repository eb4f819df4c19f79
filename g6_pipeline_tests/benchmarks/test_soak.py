"""The 6-minute soak: the real daemon under libfaketime against the loopback Kite server through a 429
burst, a /quote outage, an expired and renewed token and a corrupted minute slice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.proctree import group_members
from g6_pipeline_tests.fakes.processes import Watched, descendants, still_running

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1700)
def test_six_minute_soak_accounts_for_every_minute(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "soak.py"), "--minutes", "6", "--strikes", "3",
         "--json", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1600,
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    total = report["total"]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert total["duplicate_rows"] == 0
    assert report["csv_duplicates"] == {}
    assert total["stale_rows"] == 0
    assert len(report["window"]) == 6
    for name, figures in report["per_index"].items():
        assert figures["expected"] == 6, name
        assert figures["live"] + figures["repaired"] + len(figures["missing"]) == 6, name
        assert all(reason for reason in figures["missing"].values()), name
    # the compressed schedule has a two-minute /quote outage inside the window
    assert total["repaired"] >= 1, report["repair"]
    corrupted = report["corrupted"]
    assert corrupted and corrupted.endswith(".parquet")
    # the seal moved it aside to the quarantine folder (named there), sealed the rest and repaired the minute
    index = Path(corrupted).parent.name
    held = report["per_index"][index]["quarantined"]
    assert any(path.endswith(f"/options/{report['day']}/{index}/{Path(corrupted).name}") for path in held), held
    assert report["seal"][index] == "sealed"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_stopped_soak_stops_the_daemon_and_everything_it_started(tmp_path: Path, signum: signal.Signals) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    soak = Watched([sys.executable, str(REPO / "benchmarks" / "soak.py"), "--minutes", "6", "--strikes", "1",
                    "--keep", str(tmp_path / "soak")], env)
    try:
        line = soak.wait_for("is up on port")
        daemon = int(line.split("(pid ")[1].split(")")[0])
        tree = descendants(soak.pid) | {daemon}
        soak.send(signum, group=signum == signal.SIGINT)
        assert soak.finish() == 128 + signum, "\n".join(soak.err[-20:])
        assert soak.err[-1].startswith(f"soak: stopped by {signum.name}: dagster dev, its runs and the Kite server")
        assert still_running(tree) == set()
        assert group_members(daemon) == []  # nothing is left in the daemon's process group
    finally:
        soak.kill()
