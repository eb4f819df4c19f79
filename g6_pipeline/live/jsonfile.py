"""JSON files the live views share between processes: written atomically, read without trusting them.

`write_json_atomic` is the one writer of the live files, so it is where their text is made safe: every string
is cleaned of control characters (error text comes from brokers and sinks) and masked for secrets there, and
nowhere else. It never leaves a half-written file behind (write to a temporary file in the same folder, flush,
then rename over the target). A reader still treats every file as possibly missing, unreadable or not what it
expects, because another program may have put it there.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from upath import UPath

from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.atomic_file import write_atomic
from g6_pipeline.util.redact import clean_text, mask_secrets

LiveDir = DataLocation | str | Path
"""Where the live files are: the process's opened data location (what the pipeline and the `g6` commands
pass), or a plain local folder."""


def live_location(where: LiveDir) -> DataLocation:
    """The data location of the live files; they are never in an object store."""
    location = where if isinstance(where, DataLocation) else DataLocation(where)
    if not location.is_local:
        raise ValueError(f"the live status and panels need a local data_dir, got {location.root}")
    return location


def local_path(path: UPath) -> Path:
    """A path of a local data location as a `pathlib.Path`."""
    return Path(path.path)


def _json_safe(value: Any, secrets: Sequence[str]) -> Any:
    """`value` with NaN/inf turned into None and dates into ISO strings, so it serialises as strict JSON,
    and every string cleaned (`clean_text`) and masked (`mask_secrets` with `secrets`).

    A missing number stays missing (null): it is never replaced by zero.
    """
    if isinstance(value, str):
        return mask_secrets(clean_text(value), secrets)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, secrets) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item(), secrets)
    return value


def canonical_json(data: Any) -> str:
    """The canonical text a panel hash is computed over: sorted keys, no spaces."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_of(data: Any) -> str:
    """Hex sha256 of the canonical JSON of `data`."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def write_json_atomic(
    path: Path,
    document: Any,
    secrets: Sequence[str] = (),
    seal: Callable[[Any], Any] | None = None,
) -> Any:
    """Write `document` as strict JSON to `path` so that readers see the old file or the new one, never a mix;
    return what was written.

    Every string is cleaned and masked (`secrets` and secret-looking text), NaN/inf become null. `seal`, when
    given, wraps the safe document before it is written: the panel envelope, whose hash must cover exactly the
    data in the file.
    """
    safe = _json_safe(document, secrets)
    written = seal(safe) if seal is not None else safe
    text = json.dumps(written, indent=1, sort_keys=True, allow_nan=False) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return written


@dataclass(frozen=True)
class ReadResult:
    """A JSON object read from disk, or why it could not be (`document` None, `problem` set)."""

    document: dict[str, Any] | None
    problem: str | None = None
    mtime: float | None = None


def read_json_object(path: Path) -> ReadResult:
    """Read a JSON object from `path`; a missing, half-written or non-object file gives a problem, not an error."""
    try:
        stat = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ReadResult(None, f"{path.name} not found")
    except OSError as exc:
        return ReadResult(None, f"{path.name} unreadable: {exc.strerror}")
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return ReadResult(None, f"{path.name} is not valid JSON ({exc})", stat.st_mtime)
    if not isinstance(document, dict):
        return ReadResult(None, f"{path.name} does not hold a JSON object", stat.st_mtime)
    return ReadResult(document, None, stat.st_mtime)


def parse_time(text: Any) -> datetime | None:
    """A tz-aware datetime from an ISO string, None when absent, malformed or naive."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
