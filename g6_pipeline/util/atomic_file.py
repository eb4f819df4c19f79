"""Replace a local file so that readers see the old content or the new, never a mix, and a crash leaves no part."""

from __future__ import annotations

import contextlib
import os
import re
import secrets

TEMPORARY_NAME = re.compile(r"^\..+\.tmp-[0-9a-f]+$")
"""The name of the temporary file `write_atomic` writes beside its target: `.<name>.tmp-<hex>`."""


def temporary_name(target_name: str) -> str:
    """A fresh temporary name beside `target_name` (matches `TEMPORARY_NAME`)."""
    return f".{target_name}.tmp-{secrets.token_hex(4)}"


def write_atomic(path: str | os.PathLike[str], data: bytes, *, durable: bool = True, mode: int | None = None) -> int:
    """Write `data` to a hidden temporary file beside `path`, fsync it (when `durable`), rename it over `path`.

    `mode` sets the file's permissions before any byte is written (0o600 for secrets); without it the
    usual 0o666 less the umask applies. The temporary file is removed if anything fails. Returns the
    number of bytes written.
    """
    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, temporary_name(os.path.basename(target)))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        if mode is not None:
            os.fchmod(fd, mode)  # exactly `mode`, whatever the umask
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return len(data)
