"""Per-app exactly-once state and the one loop agents process events through.

`process_stream(stream, handle, on_bad_input)` is all an agent needs: it hands `handle` each
event once, in offset order, inside the commit gate, and records the event's position when
`handle` returns. What an exception means decides what happens to the event:

- bad input (the event's content: `InputError`, a value or lookup that does not fit) goes to
  `on_bad_input` (the dead-letter topic), and processing goes on past it;
- anything else is an infrastructure failure (Kafka, the registry, a fenced producer, a bug):
  the event is *not* passed. `Runtime.fail` aborts the open transactions, forbids any further
  commit and stops the worker; it restarts from the last commit, its local tables holding
  what was committed (committed_store.py). Dead-lettering it instead would commit past an event
  whose outputs were half sent — a lost or divergent command.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import faust
from faust.types import TP, AppT

from streams.errors import InputError
from streams.exactly_once import undecided
from streams.exactly_once.freeze import FreezeWatch
from streams.exactly_once.gate import CommitGate
from streams.exactly_once.kill_points import KillPoints, kill_point
from streams.exactly_once.membership import coordination_failure
from streams.exactly_once.offset_guard import OffsetGuard, Verdict
from streams.exactly_once.seeks import Seeks
from streams.exactly_once.undecided import HangingTransactionError

log = logging.getLogger(__name__)

Handler = Callable[[faust.EventT], Awaitable[None]]
BadInputHandler = Callable[[Exception, faust.EventT], Awaitable[None]]

# What the content of an event can cause; everything else is infrastructure (or a bug) and stops
# the partition rather than skip the event.
BAD_INPUT: tuple[type[Exception], ...] = (InputError, ValueError, LookupError, TypeError)

# how long a partition taken over may stay undecided (undecided.py) before the worker stops:
# Kafka itself needs a moment after a broker restart before it answers
UNDECIDED_WAIT_S = 20.0


def is_bad_input(exc: BaseException) -> bool:
    return isinstance(exc, BAD_INPUT)


def where(event: faust.EventT) -> str:
    message = event.message
    return f"{message.topic}[{message.partition}]@{message.offset}"


class Runtime:
    """One per app (`app.eos`): the gate, the offset guard and whether the worker has failed."""

    def __init__(
        self,
        app: AppT,
        kill_points: KillPoints | None = None,
        admin_config: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.app = app
        self.admin_config = admin_config  # librdkafka settings; None: no undecided check
        self._admin: Any = None
        self.checking = False  # the check of partitions taken over is under way (not ready)
        self.gate: CommitGate[TP] = CommitGate()
        self.guard = OffsetGuard()
        self.seeks: Seeks[TP] = Seeks()
        self.in_hand: set[TP] = set()  # partitions of the fetched batch being handed on
        self.channels: list[Any] = []  # the agents' input channels (process_stream)
        self.failure: BaseException | None = None
        self.kill_point = kill_points or kill_point
        self.freeze: FreezeWatch | None = None  # at-least-once only (freeze.py)

    async def fail(self, exc: BaseException, at: str) -> None:
        """Stop the worker without committing anything more (see the module docstring)."""
        if self.failure is None:
            self.failure = exc
            log.error(
                "%s: %r is not bad input; aborting open transactions and stopping the worker "
                "without committing past it (it restarts from the last commit)",
                at,
                exc,
            )
            abort_all = getattr(self.app.producer, "abort_all", None)
            if abort_all is not None and self.app.in_transaction:
                await abort_all()
        await self.app.crash(exc)

    async def check_undecided(self, assigned: Iterable[TP]) -> None:
        """Stop the worker if a transaction hangs on what it has just taken over (undecided.py).
        Runs once the new assignment's producers have fenced the previous owner."""
        if self.admin_config is None:
            return
        if self._admin is None:
            from confluent_kafka.admin import AdminClient

            self._admin = AdminClient(self.admin_config())
        inputs = sorted((tp.topic, tp.partition) for tp in assigned if self.guard.watches(tp))
        numbers = {partition for _, partition in inputs}  # one topic group: same numbers
        changelogs = [
            (topic, n) for topic in sorted(self.app.tables.changelog_topics) for n in numbers
        ]
        deadline = time.monotonic() + UNDECIDED_WAIT_S
        self.checking = True
        try:
            while True:
                try:
                    problems = await asyncio.to_thread(
                        undecided.find, self._admin, self.app.conf.id, changelogs, inputs
                    )
                except Exception as exc:  # noqa: BLE001 - Kafka not answering yet: ask again
                    problems = [f"Kafka could not be asked ({exc!r})"]
                if not problems:
                    return
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(1.0)
        finally:
            self.checking = False
        await self.fail(HangingTransactionError(undecided.message(problems)), "assignment")

    def quiet(self) -> bool:
        """Every event fetched so far has been handled, and some are not committed yet: none
        is being handed on, waits in an agent's queue or is being handled. The commit timer
        commits then rather than at the end of its interval (consumer.py)."""
        return (
            bool(self.gate.pending())
            and self.gate.in_flight == 0
            and not self.in_hand
            and all(channel.queue.empty() for channel in self.channels)
        )

    def superseded(self, event: faust.EventT) -> bool:
        """Never to be processed here: fetched under an earlier assignment (the new one seeks to
        the committed offset and brings it again), or after a failure. An event of the current
        assignment that finds the gate still shut (faust's recovery can resume the flow before
        the assignment callback has returned) waits at the gate instead: skipped, it would only
        be fetched again by the stall timer, 10-20 s later."""
        return (
            self.failure is not None
            or event.message.generation_id != self.app.consumer_generation_id
        )

    def stale(self, event: faust.EventT) -> bool:
        """Not to be processed: fetched under an earlier assignment (the new one seeks to the
        committed offset and brings it again), during a rebalance, or after a failure."""
        return (
            self.failure is not None
            or self.gate.suspended
            or event.message.generation_id != self.app.consumer_generation_id
        )

    async def admit(self, event: faust.EventT) -> bool:
        """No for a duplicate, and no for an event after records faust lost — those are
        fetched again first (offset_guard.py)."""
        message = event.message
        verdict = self.guard.admit(message.tp, message.offset)
        if verdict is Verdict.MISSING:
            expected = self.guard.needs_seek(message.tp)
            if expected is not None:
                log.info(
                    "%s: expected offset %d; fetching again from there in case records were "
                    "lost on the way",
                    where(event),
                    expected,
                )
                await self._seek(message.tp, expected)
        return verdict is Verdict.PROCESS

    async def refetch_stalled(self) -> None:
        """Fetch again where records were fetched but never reached the agent, and no later
        record arrived to reveal it (offset_guard.py); run on a timer."""
        assignment = self.app.consumer.assignment()
        for tp, offset in self.guard.stalled().items():
            if tp in assignment:
                log.warning("%s: no progress past offset %d; fetching again", tp, offset)
                await self._seek(tp, offset)

    async def check_membership(self) -> None:
        """Stop the worker if its group membership has died (membership.py); run on a timer."""
        failure = coordination_failure(self.app.consumer)
        if failure is not None:
            await self.fail(failure, "group membership")

    async def _seek(self, tp: TP, offset: int) -> None:
        # seek_wait runs on the consumer's own thread and event loop (faust's `seek` would call
        # aiokafka from this one), and lets the records from `offset` through `_read_offset`
        await self.app.consumer.seek_wait({tp: offset})


async def process_stream(
    stream: faust.StreamT, handle: Handler, on_bad_input: BadInputHandler
) -> None:
    """Run `handle` on each event of `stream` exactly once (module docstring)."""
    rt: Runtime = stream.app.eos  # type: ignore[attr-defined]
    if stream.channel not in rt.channels:
        rt.channels.append(stream.channel)
    async for event in stream.events():
        # the seek `admit` may ask for runs outside the gate: it needs the consumer thread,
        # which a rebalance holds while it waits for the gate
        if rt.superseded(event) or not await rt.admit(event):
            continue
        async with rt.gate.processing():
            if rt.stale(event):  # a rebalance or a failure came while it waited
                continue
            try:
                await handle(event)
            except Exception as exc:  # noqa: BLE001 - sorted into bad input and the rest
                if not await _bad_input(rt, exc, event, on_bad_input):
                    return
            message = event.message
            rt.gate.processed(message.tp, message.offset)


async def _bad_input(
    rt: Runtime, exc: Exception, event: faust.EventT, on_bad_input: BadInputHandler
) -> bool:
    """Dead-letter bad input and go on (True); stop the worker on anything else (False)."""
    if is_bad_input(exc):
        try:
            await on_bad_input(exc, event)
            return True
        except Exception as dlq_exc:  # noqa: BLE001 - the dead-letter send itself failed
            exc = dlq_exc
    log.error("%s: processing failed", where(event), exc_info=exc)
    await rt.fail(exc, where(event))
    return False


def runtime_of(app: Any) -> Runtime:
    rt: Runtime = app.eos
    return rt
