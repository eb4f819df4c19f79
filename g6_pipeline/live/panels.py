"""Panel files: `<data_dir>/panels/<panel>.json` envelopes, their `manifest.json`, and the integrity check.

An envelope is `{panel, version, generated_at, data, meta: {schema, hash}}`; `hash` (also listed in the
manifest) is the sha256 of the canonical JSON of `data` (`json.dumps(data, sort_keys=True,
separators=(",", ":"))`); `version` is the number of the cycle that published it. Panels are written first
and the manifest last, each atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

from g6_pipeline.core.clock import IST
from g6_pipeline.live.jsonfile import (
    LiveDir,
    ReadResult,
    live_location,
    local_path,
    parse_time,
    read_json_object,
    sha256_of,
    write_json_atomic,
)
from g6_pipeline.settings.model import AlertSettings

MANIFEST_FILE = "manifest.json"
MANIFEST_SCHEMA = "g6.panels.manifest.v1"
PANEL_NAMES: tuple[str, ...] = ("indices", "analytics", "alerts", "storage", "health")
"""Every panel G6 publishes, in display order."""

ProblemKind = Literal["missing", "unreadable", "hash_mismatch", "stale"]


@dataclass(frozen=True)
class PanelProblem:
    """One thing wrong with the published panels, as `g6 diagnose` reports it."""

    panel: str
    """The panel's name, or 'manifest' for the manifest itself."""
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"panel {self.panel}: {self.kind}: {self.detail}"


def panels_dir(where: LiveDir) -> Path:
    """The folder holding the panel files and the manifest."""
    return local_path(live_location(where).panels_dir())


def panel_schema(panel: str) -> str:
    """The schema name of a panel's data."""
    return f"g6.panel.{panel}.v1"


def envelope(panel: str, version: int, generated_at: datetime, data: Any) -> dict[str, Any]:
    """Wrap (already JSON-safe) panel data in its envelope, the hash of that data included."""
    return {
        "panel": panel,
        "version": version,
        "generated_at": generated_at.astimezone(IST).isoformat(),
        "data": data,
        "meta": {"schema": panel_schema(panel), "hash": sha256_of(data)},
    }


def write_panels(
    where: LiveDir,
    panels: Mapping[str, Any],
    version: int,
    generated_at: datetime,
    secrets: Sequence[str] = (),
) -> dict[str, Any]:
    """Write every panel's envelope, then the manifest; return the manifest. `secrets` are masked."""
    folder = panels_dir(where)
    entries: dict[str, Any] = {}
    for name, data in panels.items():
        doc = write_json_atomic(
            folder / f"{name}.json", data, secrets, seal=partial(envelope, name, version, generated_at)
        )
        entries[name] = {
            "file": f"{name}.json",
            "hash": doc["meta"]["hash"],
            "version": version,
            "generated_at": doc["generated_at"],
        }
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "generated_at": generated_at.astimezone(IST).isoformat(),
        "version": version,
        "panels": entries,
    }
    write_json_atomic(folder / MANIFEST_FILE, manifest)
    return manifest


def read_panel(where: LiveDir, panel: str) -> dict[str, Any] | None:
    """A panel's envelope when it is readable and its hash matches its data, else None."""
    doc = read_json_object(panels_dir(where) / f"{panel}.json").document
    if doc is None or _envelope_problem(doc, panel) is not None:
        return None
    return doc


def read_panels(where: LiveDir) -> dict[str, dict[str, Any]]:
    """Every readable, intact panel envelope by name."""
    found = {}
    for name in PANEL_NAMES:
        doc = read_panel(where, name)
        if doc is not None:
            found[name] = doc
    return found


def verify_panels(
    where: LiveDir,
    now: datetime | None = None,
    stale_after_seconds: float = AlertSettings().stale_after_seconds,
) -> list[PanelProblem]:
    """Check the published panels: a missing or unreadable manifest or panel, a hash that does not match the
    data (in the file or against the manifest), and panels older than `stale_after_seconds`.

    An empty list means every panel is present, intact and fresh.
    """
    moment = now or datetime.now(IST)
    folder = panels_dir(where)
    read = read_json_object(folder / MANIFEST_FILE)
    manifest = read.document
    listed: Mapping[str, Any] | None = None
    problems: list[PanelProblem] = []
    if manifest is None:
        problems.append(_unread("manifest", read))
    elif not isinstance(manifest.get("panels"), dict):
        problems.append(PanelProblem("manifest", "unreadable", "manifest has no 'panels' object"))
        listed = {}
    else:
        listed = manifest["panels"]
    for name in dict.fromkeys([*PANEL_NAMES, *(listed or {})]):
        result = read_json_object(folder / f"{name}.json")
        if result.document is None:
            problems.append(_unread(name, result))
            continue
        problem = _envelope_problem(result.document, name)
        if problem is not None:
            problems.append(PanelProblem(name, "hash_mismatch" if "hash" in problem else "unreadable", problem))
            continue
        problems += _listing_problems(name, result.document, listed)
        problems += _age_problems(name, result.document, moment, stale_after_seconds)
    return problems


def _unread(name: str, result: ReadResult) -> PanelProblem:
    """A file that is not there ('missing') or cannot be used ('unreadable')."""
    missing = result.mtime is None and "not found" in (result.problem or "")
    return PanelProblem(name, "missing" if missing else "unreadable", result.problem or f"no {name}")


def _listing_problems(name: str, doc: Mapping[str, Any], listed: Mapping[str, Any] | None) -> list[PanelProblem]:
    """A panel the manifest does not list, or lists with another hash (`listed` None: no usable manifest)."""
    if listed is None:
        return []
    entry = listed.get(name)
    if not isinstance(entry, dict):
        return [PanelProblem(name, "missing", "not listed in the manifest")]
    if entry.get("hash") != doc["meta"]["hash"]:
        detail = (
            f"manifest hash {str(entry.get('hash'))[:12]}… differs from the panel's {doc['meta']['hash'][:12]}…"
        )
        return [PanelProblem(name, "hash_mismatch", detail)]
    return []


def _age_problems(
    name: str, doc: Mapping[str, Any], now: datetime, stale_after_seconds: float
) -> list[PanelProblem]:
    """A panel without a usable `generated_at`, or generated longer than `stale_after_seconds` ago."""
    generated = parse_time(doc.get("generated_at"))
    if generated is None:
        return [PanelProblem(name, "unreadable", "generated_at is missing or not a tz-aware time")]
    if (now - generated).total_seconds() > stale_after_seconds:
        since = generated.astimezone(IST).strftime("%Y-%m-%d %H:%M")
        return [PanelProblem(name, "stale", f"last generated {since} IST")]
    return []


def _envelope_problem(doc: Mapping[str, Any], name: str) -> str | None:
    """Why `doc` is not a valid envelope of panel `name` with a matching hash, or None."""
    if doc.get("panel") != name:
        return f"envelope names panel {doc.get('panel')!r}"
    meta = doc.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("hash"), str) or "data" not in doc:
        return "envelope lacks data or meta.hash"
    try:
        actual = sha256_of(doc["data"])
    except ValueError as exc:
        return f"data cannot be hashed: {exc}"
    if actual != meta["hash"]:
        return f"hash of data {actual[:12]}… differs from meta.hash {meta['hash'][:12]}…"
    return None

