"""The changelog restore before faust's recovery (streams/exactly_once/restore.py): one restore at
a time, and an interrupted one stops writing before the next begins — two threads writing one
store could leave an older value under a newer persisted offset."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from streams.exactly_once.restore import Restorer

RANGES = {("t-changelog", 0): (0, 10)}
REACHED = {("t-changelog", 0): 4}


class _Read:
    """A restore's read that runs until it is told to stop, the first one slow to finish."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.entered = [threading.Event(), threading.Event()]

    def __call__(self, config: Any, ranges: Any, sink: Any, *, budget_s: float, stop: Any) -> Any:
        n = self.log.count("start")
        self.log.append("start")
        self.entered[n].set()
        assert stop.wait(5), "never told to stop"
        if n == 0:
            time.sleep(0.2)  # the last batch being written
        self.log.append("end")
        return REACHED


def test_an_interrupted_restore_stops_writing_before_the_next_one_starts() -> None:
    read = _Read()

    async def main() -> None:
        restorer = Restorer(read)
        first = asyncio.create_task(restorer.run({}, RANGES, print, budget_s=9))
        await asyncio.to_thread(read.entered[0].wait, 5)
        first.cancel()  # a new rebalance: faust cancels the step
        second = asyncio.create_task(restorer.run({}, RANGES, print, budget_s=9))
        assert await asyncio.to_thread(read.entered[1].wait, 5)
        await restorer.stop(5)
        assert await second == REACHED
        assert first.cancelled()

    asyncio.run(main())
    assert read.log == ["start", "end", "start", "end"]


def test_the_worker_stopping_interrupts_a_restore_and_starts_no_other() -> None:
    read = _Read()

    async def main() -> None:
        restorer = Restorer(read)
        first = asyncio.create_task(restorer.run({}, RANGES, print, budget_s=9))
        await asyncio.to_thread(read.entered[0].wait, 5)
        await restorer.close(5)
        assert read.log == ["start", "end"]
        assert await first == REACHED
        assert await restorer.run({}, RANGES, print, budget_s=9) == {}

    asyncio.run(main())
    assert read.log == ["start", "end"]


def test_a_finished_restore_returns_what_each_partition_reached() -> None:
    def read(config: Any, ranges: Any, sink: Any, *, budget_s: float, stop: Any) -> Any:
        sink(("t-changelog", 0), [(b"k", b"v")], 9)
        return {("t-changelog", 0): 9}

    written: list[Any] = []

    async def main() -> Any:
        restorer = Restorer(read)
        reached = await restorer.run({}, RANGES, lambda *a: written.append(a), budget_s=9)
        await restorer.stop(1)  # nothing under way: returns at once
        return reached

    assert asyncio.run(main()) == {("t-changelog", 0): 9}
    assert written == [(("t-changelog", 0), [(b"k", b"v")], 9)]
