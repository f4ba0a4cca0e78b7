"""At-least-once's stand-in for fencing: a worker frozen for longer than its group membership
can outlast stops at once, before it writes anything more.

A worker frozen past the session timeout (SIGSTOP, a paused VM, a swap storm) has lost its
partitions by the time it resumes, but cannot know until its next heartbeat. Under exactly-once
its producers are fenced meanwhile, so nothing it writes counts. Under at-least-once nothing
fences it: it goes on with the events it holds and the table state it had, which the
partitions' new owner has moved past, and its writes land after the new owner's. A table write
then puts an older state last in the changelog, and whoever next rebuilds the table from it
(the next owner after a rebalance) starts from that older state and sends sequence numbers
already used, with other content: the at-least-once fault run once re-sent 40 commands
different that way (CI of 29ae128). A consumer that applies a `command_id` once keeps the
wrong one of the two.

`FreezeWatch` notes the time on a thread of its own every TICK_S. A process that was frozen
finds a gap between two notes; a main event loop that is merely busy does not (the thread still
runs). Once the gap exceeds `limit` — the session timeout less one heartbeat interval, the
soonest the group may have expelled the worker — the thread, or the first send that comes before
it (every record the worker writes passes `check`, StrictProducer.send), ends the process
at once: `os._exit`, no flush, since a graceful stop would send what the producer holds. Its
supervisor starts it again, and it processes from the last commit, writing each key it touches
anew. The clock is CLOCK_BOOTTIME where there is one, so a suspended host counts as frozen too.

What this cannot stop: records the producer had taken before the freeze and transmits right
after it (faust's linger is 0, so milliseconds' worth). Only fencing closes that; exactly-once
is the default for that reason.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TICK_S = 0.2

# the worker's exit code when it stopped itself after a freeze (EX_TEMPFAIL: start it again)
EXIT_FROZEN = 75


def clock() -> float:
    """Seconds that keep counting while the host is suspended (Linux), else monotonic."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


def limit_for(session_timeout_s: float, heartbeat_interval_s: float) -> float:
    """The longest freeze after which the group surely still counts the worker a member: its
    last heartbeat may have gone out up to one interval before the freeze began."""
    return max(session_timeout_s - heartbeat_interval_s, TICK_S * 5)


class FreezeWatch:
    def __init__(
        self,
        limit_s: float,
        now: Callable[[], float] = clock,
        stop: Callable[[int], object] = os._exit,
    ) -> None:
        self.limit_s = limit_s
        self._now = now
        self._stop = stop
        self._last: float | None = None  # None: not started (no send is checked)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._last = self._now()
            self._thread = threading.Thread(target=self._run, name="freeze-watch", daemon=True)
            self._thread.start()

    def tick(self) -> None:
        """One note of the time; stops the process if the gap since the last is too long."""
        self.check()
        self._last = self._now()

    def check(self) -> None:
        """Stops the process if it was frozen for longer than `limit_s` since the last note."""
        last = self._last
        if last is None:
            return
        frozen = self._now() - last
        if frozen > self.limit_s:
            log.error(
                "this worker was frozen for %.1f s, longer than its group membership is sure to "
                "last (%.1f s): its partitions may have moved on, and under at-least-once "
                "nothing fences what it would write now; stopping at once, without sending "
                "anything more (it restarts from the last commit)",
                frozen,
                self.limit_s,
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            self._stop(EXIT_FROZEN)

    def _run(self) -> None:  # for the life of the process (a daemon thread)
        while True:
            time.sleep(TICK_S)
            self.tick()
