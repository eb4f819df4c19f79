"""The writer lock: one holder at a time across processes, a waiter that says who holds it, none left by a crash."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from g6_pipeline.util.lock import LockTimeoutError, exclusive_lock, held_here

SPAWN = multiprocessing.get_context("spawn")


def hold(path: str, held: Event, release: Event) -> None:
    """Child process: hold the lock until told to let go."""
    with exclusive_lock(path, timeout=60):
        held.set()
        release.wait(120)


def hold_until_killed(path: str, held: Event) -> None:
    """Child process: hold the lock and never let go (it is killed)."""
    with exclusive_lock(path, timeout=60):
        held.set()
        while True:
            time.sleep(1)


@contextmanager
def holder_process(path: Path) -> Iterator[tuple[multiprocessing.process.BaseProcess, Event]]:
    held, release = SPAWN.Event(), SPAWN.Event()
    child = SPAWN.Process(target=hold, args=(str(path), held, release))
    child.start()
    try:
        assert held.wait(120), "the child never got the lock"
        yield child, release
    finally:
        release.set()
        child.join(120)
        if child.is_alive():
            child.kill()


def test_a_second_writer_gives_up_naming_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "data" / ".g6-writer.lock"
    with (
        holder_process(lock) as (child, _),
        pytest.raises(LockTimeoutError) as raised,
        exclusive_lock(lock, timeout=0),
    ):
        pytest.fail("got a lock another process holds")
    assert f"pid {child.pid}:" in str(raised.value) and str(lock) in str(raised.value)


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    lock = tmp_path / ".g6-writer.lock"
    seen: list[str] = []
    with holder_process(lock) as (child, release):

        def waiting(who: str) -> None:
            seen.append(who)
            release.set()  # the holder finishes while this writer waits

        with exclusive_lock(lock, timeout=120, on_wait=waiting):
            assert lock.read_text().startswith(f"pid {os.getpid()}:")
    assert seen and seen[0].startswith(f"pid {child.pid}:")


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".g6-writer.lock"
    held = SPAWN.Event()
    child = SPAWN.Process(target=hold_until_killed, args=(str(lock), held))
    child.start()
    try:
        assert held.wait(120), "the child never got the lock"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(120)
        with exclusive_lock(lock, timeout=120):
            assert lock.read_text().startswith(f"pid {os.getpid()}:")
    finally:
        if child.is_alive():
            child.kill()


def test_a_thread_holding_the_lock_gets_it_again_at_once(tmp_path: Path) -> None:
    lock = tmp_path / ".g6-writer.lock"
    with exclusive_lock(lock, timeout=0):
        with exclusive_lock(lock, timeout=0):  # a writer calling another writer
            assert held_here(lock)
        assert held_here(lock) and lock.read_text().startswith(f"pid {os.getpid()}:")
    assert not held_here(lock)
    with holder_process(lock), pytest.raises(LockTimeoutError), exclusive_lock(lock, timeout=0):
        pytest.fail("the outer block did not let the lock go")  # another process holds it now


def hold_twice(path: str, held: Event, other_waits: Event, other_had_it: Event, turn: Any) -> None:
    """Child process: hold the lock until the other writer waits for it, then let go and ask again at once."""
    with exclusive_lock(path, timeout=120):
        held.set()
        assert other_waits.wait(120)
    with exclusive_lock(path, timeout=120):
        turn.value = 1 if other_had_it.is_set() else 2


def test_a_waiter_gets_the_next_turn_before_a_holder_asking_again(tmp_path: Path) -> None:
    lock = tmp_path / ".g6-writer.lock"
    held, waits, had_it = SPAWN.Event(), SPAWN.Event(), SPAWN.Event()
    turn = SPAWN.Value("i", 0)
    child = SPAWN.Process(target=hold_twice, args=(str(lock), held, waits, had_it, turn))
    child.start()
    try:
        assert held.wait(120)
        with exclusive_lock(lock, timeout=120, on_wait=lambda _who: waits.set()):
            had_it.set()
        child.join(120)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert turn.value == 1  # the waiter had its turn before the holder's second one



def _queue_taken(lock: Path) -> bool:
    """Whether someone holds the queue file beside `lock`, i.e. a waiter is waiting."""
    with open(str(lock) + ".queue", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _wait_in_thread(lock: Path, notices: list[str], notice_after: float) -> threading.Thread:
    def take() -> None:
        with exclusive_lock(lock, 120, on_wait=notices.append, notice_after=notice_after):
            pass

    waiter = threading.Thread(target=take)
    waiter.start()
    return waiter


def test_a_short_turn_is_not_announced_a_long_wait_names_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "data" / ".g6-writer.lock"
    quiet: list[str] = []
    with holder_process(lock) as (_, release):
        waiter = _wait_in_thread(lock, quiet, notice_after=3600)
        while not _queue_taken(lock):  # until the waiter is waiting
            time.sleep(0.01)
        release.set()
        waiter.join(120)
    assert not waiter.is_alive() and quiet == []  # its turn came before the notice was due

    announced: list[str] = []
    with holder_process(lock) as (child, release):
        waiter = _wait_in_thread(lock, announced, notice_after=0.0)
        while not announced:  # the notice comes while the holder still holds the lock
            time.sleep(0.01)
        release.set()
        waiter.join(120)
    assert len(announced) == 1 and announced[0].startswith(f"pid {child.pid}:")
