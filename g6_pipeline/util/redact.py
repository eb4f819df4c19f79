"""The one secret masker and the one sanitiser of upstream text.

Everything G6 writes where a person or another program reads it (log lines, the terminal, status files,
pages, exception messages, metric labels) passes through `mask_secrets` for the secrets it knows of, and
text that came from upstream (a broker's error, a server's reply) through `clean_text` first, so no control
character can forge a log line or move a terminal's cursor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
"""What a masked secret reads as, everywhere."""

_SECRET_PATTERNS = (
    # Kite's Authorization header: "token <api_key>:<access_token>"
    re.compile(r"(token\s+[A-Za-z0-9]+:)([A-Za-z0-9]+)"),
    # key=value / key: value / "key": "value" forms of well-known secret names
    re.compile(
        r"((?:access_token|api_secret|request_token|refresh_token|checksum|influx_token|auth_token|password)"
        r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)",
        re.IGNORECASE,
    ),
    # the password of user info in a URL: scheme://user:password@host
    re.compile(r"(://[^:/@\s]+:)([^@/\s]+)(?=@)"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secret values, secret-looking key/value pairs and URL passwords replaced by `***`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def clean_text(text: str, limit: int | None = None) -> str:
    """Upstream text made safe to print: line breaks become spaces, other control characters go, cut at `limit`."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text).replace("\t", " "))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def describe_error(exc: BaseException, secrets: Iterable[str] = (), limit: int = 300) -> str:
    """`Type: message` of an exception, cleaned and masked, for a log line, a status file or a page."""
    return mask_secrets(clean_text(f"{type(exc).__name__}: {exc}", limit), secrets)
