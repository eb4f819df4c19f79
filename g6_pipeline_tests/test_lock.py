"""The install is reproducible: `requirements.lock` was resolved from the `pyproject.toml` beside it, pins every
direct dependency within its range, and is what this environment was installed from."""

from __future__ import annotations

import importlib.util
import tomllib
from importlib import metadata
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("g6_lock", REPO / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins() -> dict[str, str]:
    """Package (normalised name) → pinned version, for the lock lines whose marker applies here."""
    out = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if "==" not in line or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            out[canonical(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return out


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_the_lock_was_resolved_from_this_pyproject() -> None:
    lock = lock_module()
    assert lock.recorded_digest() == lock.dependency_digest(), (
        "pyproject.toml's dependencies changed since requirements.lock was written: run `make lock`")


def test_every_direct_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *[d for extra in project["optional-dependencies"].values() for d in extra]]
    pinned = pins()
    for text in wanted:
        requirement = Requirement(text)
        name = canonical(requirement.name)
        assert name in pinned, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements.lock pins {name}=={pinned[name]}, outside pyproject's {requirement}")


def test_this_environment_was_installed_from_the_lock() -> None:
    different = {}
    for name, version in pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this environment did not install
        if installed != version:
            different[name] = (installed, version)
    assert not different, f"installed (version, locked version) differ: {different}"


def test_the_build_metadata_is_in_the_current_form() -> None:
    document = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert document["build-system"]["requires"] == [r for r in document["build-system"]["requires"] if "==" in r]
    assert isinstance(document["project"]["license"], str), "an SPDX license expression, not a table"
