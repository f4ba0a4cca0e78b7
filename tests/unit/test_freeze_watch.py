"""At-least-once's stand-in for fencing (streams/exactly_once/freeze.py): a worker frozen past
what its group membership can outlast stops before it writes anything more — checked with a
fake clock, through the producer's send, and on a real process stopped with SIGSTOP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace
from typing import Any

import pytest

from streams.exactly_once.freeze import EXIT_FROZEN, FreezeWatch, limit_for
from streams.exactly_once.kill_points import KillPoints
from streams.exactly_once.runtime import Runtime
from streams.exactly_once.transactions import StrictProducer


class StoppedError(Exception):
    pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _stop(code: int) -> None:
    raise StoppedError(code)


def test_the_limit_is_the_session_timeout_less_one_heartbeat_interval() -> None:
    assert limit_for(10.0, 3.0) == 7.0
    assert limit_for(60.0, 3.0) == 57.0
    assert limit_for(1.0, 3.0) == 1.0  # never below five ticks


def test_gaps_within_the_limit_pass_and_one_past_it_stops_the_process() -> None:
    clock = Clock()
    watch = FreezeWatch(7.0, now=clock, stop=_stop)
    watch.check()  # not started: nothing to compare with
    watch._last = clock.now  # as start() notes it, without the thread
    for _ in range(5):
        clock.now += 6.9
        watch.tick()
    clock.now += 7.1
    with pytest.raises(StoppedError) as stopped:
        watch.check()  # a send after the freeze, before the thread has noticed it
    assert stopped.value.args == (EXIT_FROZEN,)
    with pytest.raises(StoppedError):
        watch.tick()  # or the thread, if it comes first


def test_a_send_after_a_freeze_stops_the_worker_before_it_reaches_the_producer() -> None:
    clock = Clock()
    producer = StrictProducer.__new__(StrictProducer)  # the method under test, no faust start
    app: Any = SimpleNamespace()
    app.eos = Runtime(app, KillPoints({}))
    app.eos.freeze = watch = FreezeWatch(7.0, now=clock, stop=_stop)
    producer.app = app
    reached: list[str] = []
    fake: Any = producer
    fake._ensure_producer = lambda: reached.append("producer")
    watch._last = clock.now
    clock.now += 20.0  # SIGSTOP 20 s + SIGCONT
    with pytest.raises(StoppedError):
        asyncio.run(producer.send("app-hub-changelog", b"k", b"v", None, None, None))
    assert reached == []


WORKER = textwrap.dedent(
    """
    import time
    from streams.exactly_once.freeze import FreezeWatch
    FreezeWatch(1.0).start()
    print("ready", flush=True)
    time.sleep(30)
    """
)


def test_a_process_stopped_past_the_limit_exits_on_its_own_once_continued() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=os.getcwd(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.5)
        assert proc.poll() is None  # ticking along, not frozen
        proc.send_signal(signal.SIGSTOP)
        time.sleep(2.0)
        proc.send_signal(signal.SIGCONT)
        assert proc.wait(timeout=10) == EXIT_FROZEN
        assert b"frozen for" in (proc.stderr.read() if proc.stderr else b"")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
