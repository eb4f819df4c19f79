"""Work split across worker processes that stop with their parent and are never left behind.

`run_workers(target, tasks, notify)` starts one spawned process per task, runs `target(*task, report)` in
it and returns each task's result in order; `report(event)` in a worker reaches `notify(event)` in the
parent while the workers run. A worker handles SIGTERM as a clean stop (`util.stopping`: a `deferred()`
block, such as one day being written, finishes first) and ignores SIGINT, which a terminal sends to the
whole process group: the parent decides. It also stops on its own at its next report once its parent is
gone (killed with `kill -9`), so nothing keeps writing.

When the parent stops (`Stopped`, any exception), every worker still running is sent SIGTERM and waited for
while its messages are drained; one still there after `grace` seconds is killed. The parent owns the one
queue (and its semaphore), so a clean exit of the parent leaks nothing.
"""

from __future__ import annotations

import os
import queue
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from typing import Any

from g6_pipeline.util.stopping import Stopped, stopping

STOP_GRACE_SECONDS = 30.0
"""How long a stopped worker may take to finish the block it is in before it is killed."""
Notify = Callable[[Any], None]


class WorkerError(RuntimeError):
    """A worker process failed (its traceback is in the message) or exited without a result."""


def run_workers(
    target: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], notify: Notify, grace: float = STOP_GRACE_SECONDS
) -> list[Any]:
    """Run `target(*task, report)` in one spawned process per task; the results in task order."""
    context = get_context("spawn")
    messages: Any = context.Queue()
    processes = [context.Process(target=_worker, args=(target, task, messages, os.getpid(), n), daemon=True)
                 for n, task in enumerate(tasks)]
    results: dict[int, Any] = {}
    try:
        for process in processes:
            process.start()
        while len(results) < len(processes):
            _take(messages, results, notify, processes)
        return [results[n] for n in range(len(processes))]
    except BaseException:
        _stop(processes, messages, grace)
        raise
    finally:
        for process in processes:
            process.join()
        messages.close()
        messages.join_thread()


def _take(messages: Any, results: dict[int, Any], notify: Notify, processes: Sequence[BaseProcess]) -> None:
    """Handle the next message; fail when a worker has exited without a result."""
    try:
        kind, n, payload = messages.get(timeout=0.2)
    except queue.Empty:
        gone = [n for n, p in enumerate(processes) if n not in results and p.exitcode is not None]
        if gone:  # its last message may still be on the way
            try:
                kind, n, payload = messages.get(timeout=2.0)
            except queue.Empty:
                raise WorkerError(f"worker {gone[0]} exited with code {processes[gone[0]].exitcode} "
                                  "and no result") from None
        else:
            return
    if kind == "event":
        notify(payload)
    elif kind == "result":
        results[n] = payload
    elif kind == "stopped":
        raise Stopped(payload)
    else:
        raise WorkerError(f"worker {n} failed:\n{payload}")


def _stop(processes: Sequence[BaseProcess], messages: Any, grace: float) -> None:
    """SIGTERM every live worker, drain the queue while they finish, kill what is left after `grace` seconds."""
    for process in processes:
        if process.pid is not None and process.exitcode is None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.pid is not None and p.exitcode is None for p in processes) and time.monotonic() < deadline:
        try:
            messages.get(timeout=0.1)
        except queue.Empty:
            continue
    for process in processes:
        if process.pid is not None and process.exitcode is None:
            process.kill()


def _worker(target: Callable[..., Any], task: tuple[Any, ...], messages: Any, parent: int, n: int) -> None:
    """A worker process: run the task, sending events, then the result (or why it stopped or failed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping(signal.SIGTERM)

    def report(event: Any) -> None:
        messages.put(("event", n, event))
        if os.getppid() != parent:
            raise Stopped(signal.SIGHUP)

    try:
        messages.put(("result", n, target(*task, report)))
    except Stopped as stop:
        messages.put(("stopped", n, stop.signum))
    except BaseException:
        messages.put(("error", n, traceback.format_exc()))
