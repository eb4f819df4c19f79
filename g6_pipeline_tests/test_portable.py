"""The repository runs from any folder on any machine: no tracked file names an absolute path of a machine."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|Users|home/(?!g6\b)[\w.-]+)/[\w.-]+")
"""A path under a person's or a build machine's home. The container image's own user (`/home/g6`) is part of
the image, not of a machine."""


def tracked_text_files() -> list[Path]:
    """Every file git tracks in this clone, by absolute path."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / name for name in names.decode().split("\0") if name]


def machine_paths(path: Path) -> list[str]:
    """`file:line: text` for each absolute machine path in a text file (binary files are skipped)."""
    try:
        text = path.read_text()
    except (UnicodeDecodeError, FileNotFoundError):
        return []
    found = [str(REPO), str(Path.home())] if str(Path.home()) not in ("/", "") else [str(REPO)]
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        if MACHINE_PATH.search(line) or any(f"{root}/" in line for root in found):
            hits.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return hits


def test_the_pattern_catches_a_machine_path_and_spares_the_image_user() -> None:
    assert MACHINE_PATH.search('G6 = Path("/Users/alice/src/g6/.venv/bin/g6")')
    assert MACHINE_PATH.search("cd /home/alice/g6 && make test")
    # a build machine's folders, spelled in parts so that this file names none itself
    assert MACHINE_PATH.search("/".join(["", "work", "checkout", ".venv", "bin", "g6"]))
    assert MACHINE_PATH.search("/".join(["", "root", ".cache", "pip"]))
    assert not MACHINE_PATH.search("useradd --home-dir /home/g6 g6")
    assert not MACHINE_PATH.search("PYTHONPATH=. .venv/bin/python benchmarks/soak.py")


def test_no_tracked_file_names_a_path_of_a_machine() -> None:
    hits = [hit for path in tracked_text_files() if path != Path(__file__).resolve() for hit in machine_paths(path)]
    assert not hits, "absolute machine paths (derive them from the repo root or tmp_path):\n" + "\n".join(hits)
