"""Imported at start-up by every Python process the soak runs under libfaketime (this folder leads PYTHONPATH).

libfaketime 0.9.10 (Debian's) with FAKETIME_DONT_FAKE_MONOTONIC=1 fails `clock_nanosleep(TIMER_ABSTIME)`,
which `time.sleep` uses, with EINVAL; relative timeouts (select, locks, events) are untouched. So `time.sleep`
sleeps through `select` here; everything else runs as it is.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME"):

    def _sleep(seconds: float) -> None:
        """`time.sleep` on the real monotonic clock, through select."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
