"""A stop signal: raised at once outside a deferred block; inside one, raised only once the block is done."""

from __future__ import annotations

import os
import signal

import pytest

from g6_pipeline.util.stopping import Stopped, deferred, stop_signals


def test_a_stop_outside_a_deferred_block_is_raised_at_once() -> None:
    reached = []
    with pytest.raises(Stopped) as stopped, stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        reached.append("after the signal")
    assert reached == []
    assert (stopped.value.signal_name, stopped.value.exit_code, str(stopped.value)) == (
        "SIGTERM", 143, "stopped by SIGTERM")


def test_a_stop_inside_a_deferred_block_waits_for_its_end_and_a_second_signal_is_not_lost() -> None:
    done = []
    with pytest.raises(Stopped) as stopped, stop_signals():
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("committed")
            os.kill(os.getpid(), signal.SIGINT)
            done.append("sealed")
        done.append("next day")
    assert done == ["committed", "sealed"]
    assert stopped.value.exit_code == 130


def test_the_signal_handlers_are_put_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with stop_signals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
