"""Heavy modules only where they are used: importing the definitions brings in none of G6's numerical and columnar
stack, and nothing of Kite (kiteconnect drags in twisted and autobahn) unless the provider is Kite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from g6_pipeline_tests.fakes.config import make_config

REPO = Path(__file__).resolve().parents[2]
KITE = ("kiteconnect", "twisted", "autobahn")
HEAVY = ("pandas", "scipy.special", "pyarrow", "numpy")


def loaded_modules(code: str, config: Path) -> set[str]:
    """The modules of interest a fresh interpreter holds after running `code` with G6_CONFIG_DIR=`config`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {KITE + HEAVY!r} if m in sys.modules)))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("G6_", "KITE_"))}
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env={**env, "G6_CONFIG_DIR": str(config)},
                          capture_output=True, text=True, timeout=240, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_definitions_brings_in_nothing_heavy_and_nothing_of_kite(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config", tmp_path / "data")  # the synthetic provider
    assert loaded_modules("import g6_pipeline.definitions", config) == set()


def test_loading_the_definitions_and_collecting_a_minute_never_import_kite_for_the_synthetic_provider(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "config", tmp_path / "data")
    code = (
        "import g6_pipeline.definitions as d\n"
        "from g6_pipeline.collection.cycle import run_cycle\n"
        "from g6_pipeline.defs.resources import G6Resource\n"
        "d.defs()\n"
        "run_cycle(G6Resource().collector())\n"
    )
    loaded = loaded_modules(code, config)
    assert not loaded & set(KITE), loaded
    assert {"pandas", "pyarrow"} <= loaded  # the minute itself does use the columnar stack
