"""Write `requirements.lock`: every package G6 and its tests install, pinned, resolved from `pyproject.toml`.

    make lock        # after changing a dependency in pyproject.toml

The lock is resolved by uv for Python 3.11 on every platform (`--universal`), with the `dev` and `postgres`
extras; `make run`, `make test` and CI install through it (`pip install -c requirements.lock`). Its first line
records a digest of the dependency tables of `pyproject.toml`, so a test fails when the two disagree.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
PYPROJECT = REPO / "pyproject.toml"
EXTRAS = ("dev", "postgres")
PYTHON = "3.11"
DIGEST_PREFIX = "# pyproject-digest: "


def dependency_digest(pyproject: Path = PYPROJECT) -> str:
    """sha256 of what the lock is resolved from: the build system, Python version and every dependency table."""
    document = tomllib.loads(pyproject.read_text())
    project = document["project"]
    locked = {
        "build-system": document.get("build-system", {}),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(locked, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path = LOCK) -> str | None:
    """The digest the lock was written for (None: no digest line)."""
    for line in lock.read_text().splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def main() -> int:
    """Resolve with uv and write the lock with its digest line."""
    command = [sys.executable, "-m", "uv", "pip", "compile", str(PYPROJECT.name), "--universal",
               "--python-version", PYTHON, "--no-header", "--quiet", *[f"--extra={e}" for e in EXTRAS]]
    resolved = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if resolved.returncode != 0:
        print(resolved.stderr, file=sys.stderr)
        return resolved.returncode
    header = (f"# Every package G6 installs, pinned (Python {PYTHON}, extras {', '.join(EXTRAS)}). "
              "Written by `make lock` from pyproject.toml; do not edit.\n"
              f"{DIGEST_PREFIX}{dependency_digest()}\n")
    LOCK.write_text(header + resolved.stdout)
    print(f"wrote {LOCK.name}: {sum(1 for ln in resolved.stdout.splitlines() if '==' in ln)} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
