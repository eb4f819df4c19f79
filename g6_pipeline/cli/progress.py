"""Progress of a long command: a `rich` bar on a terminal, one plain `[n/total] …` line per step otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_lines(total: int, label: str, unit: str, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A callable to call once per step with a line about it (nothing shown when not `enabled`)."""
    if not enabled:
        yield lambda _: None
        return
    if not sys.stderr.isatty():
        done = [0]

        def line(text: str) -> None:
            done[0] += 1
            print(f"[{done[0]}/{total}] {text}", flush=True)

        yield line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeRemainingColumn(),
                  transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda _: bar.update(task, advance=1)
