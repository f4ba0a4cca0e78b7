"""The commit gate (streams/exactly_once/gate.py): a transaction never carries half an event,
and a rebalance holds every event back until the new assignment is in place."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from streams.exactly_once.consumer import GatedConsumer
from streams.exactly_once.gate import CommitGate


async def _tick(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_a_commit_waits_for_the_events_in_flight() -> None:
    async def scenario() -> list[str]:
        gate: CommitGate[TP] = CommitGate()
        log: list[str] = []
        release = asyncio.Event()

        async def event() -> None:
            async with gate.processing():
                log.append("event starts")
                await release.wait()
                log.append("event ends")

        async def commit() -> None:
            async with gate.committing():
                log.append("commit")

        tasks = [asyncio.create_task(event())]
        await _tick()
        tasks.append(asyncio.create_task(commit()))
        await _tick()
        assert log == ["event starts"]  # the commit is held while the event is half done
        release.set()
        await asyncio.gather(*tasks)
        return log

    assert asyncio.run(scenario()) == ["event starts", "event ends", "commit"]


def test_a_waiting_commit_holds_new_events_back() -> None:
    async def scenario() -> list[str]:
        gate: CommitGate[TP] = CommitGate()
        log: list[str] = []
        release = asyncio.Event()

        async def event(name: str, wait: bool) -> None:
            async with gate.processing():
                log.append(f"{name} starts")
                if wait:
                    await release.wait()
                log.append(f"{name} ends")

        async def commit() -> None:
            async with gate.committing():
                log.append("commit")
                await _tick()
                log.append("commit done")

        first = asyncio.create_task(event("first", wait=True))
        await _tick()
        committing = asyncio.create_task(commit())
        await _tick()
        second = asyncio.create_task(event("second", wait=False))  # arrives during the wait
        await _tick()
        release.set()
        await asyncio.gather(first, committing, second)
        return log

    assert asyncio.run(scenario()) == [
        "first starts",
        "first ends",
        "commit",
        "commit done",
        "second starts",
        "second ends",
    ]


def test_an_idle_gate_commits_at_once_and_events_run_concurrently() -> None:
    async def scenario() -> int:
        gate: CommitGate[TP] = CommitGate()
        async with gate.committing():
            pass
        seen = 0
        async with gate.processing(), gate.processing():
            seen = gate.in_flight
        assert gate.in_flight == 0
        return seen

    assert asyncio.run(scenario()) == 2


def test_an_event_that_raises_still_leaves_the_gate() -> None:
    async def scenario() -> int:
        gate: CommitGate[TP] = CommitGate()
        try:
            async with gate.processing():
                raise ValueError("bad row")
        except ValueError:
            pass
        await asyncio.wait_for(_commit(gate), timeout=1)
        return gate.in_flight

    async def _commit(gate: CommitGate) -> None:
        async with gate.committing():
            pass

    assert asyncio.run(scenario()) == 0


def test_a_commit_can_wait_for_background_sends_which_are_never_held_back() -> None:
    async def scenario() -> list[str]:
        gate: CommitGate[TP] = CommitGate()
        log: list[str] = []
        release = asyncio.Event()

        async def table_write() -> None:
            async with gate.background_send():
                log.append("send starts")
                await release.wait()
                log.append("send ends")

        async def commit() -> None:
            async with gate.committing():
                await gate.background_idle()
                log.append("commit")

        sending = asyncio.create_task(table_write())
        await _tick()
        committing = asyncio.create_task(commit())
        await _tick()
        assert log == ["send starts"]  # the commit waits for the send
        async with gate.background_send():  # and a send during the commit is not held back
            log.append("another send")
        release.set()
        await asyncio.gather(committing, sending)
        return log

    assert asyncio.run(scenario()) == ["send starts", "another send", "send ends", "commit"]


SOURCE = TP("siebel.siebel.s_org_ext", 0)


def test_the_committed_position_is_one_past_the_last_event_a_handler_finished() -> None:
    gate: CommitGate[TP] = CommitGate()
    for offset in (7, 8, 9):
        gate.processed(SOURCE, offset)
    assert gate.position(SOURCE) == 10
    gate.committed({SOURCE: 10})
    assert gate.position(SOURCE) is None  # nothing new since that commit
    gate.processed(SOURCE, 10)
    gate.forget({SOURCE})  # revoked before the commit: redone after the seek
    assert gate.position(SOURCE) is None


def test_a_position_stays_pending_until_a_commit_carried_it() -> None:
    # faust discards a commit for a partition it thinks revoked; the revoke handler must still
    # find the position, or the event's outputs would commit later without their offset
    gate: CommitGate[TP] = CommitGate()
    gate.processed(SOURCE, 41)
    assert gate.position(SOURCE) == 42
    assert gate.pending() == {SOURCE: 42}
    gate.processed(SOURCE, 42)
    gate.committed({SOURCE: 42})  # an older commit succeeding does not drop the newer position
    assert gate.pending() == {SOURCE: 43}


def test_a_suspended_gate_holds_events_until_resumed_even_after_a_commit() -> None:
    async def scenario() -> list[str]:
        gate: CommitGate[TP] = CommitGate()
        log: list[str] = []
        async with gate.committing():
            gate.suspend()  # the revoke handler commits, then shuts the gate

        async def event() -> None:
            async with gate.processing():
                log.append("event")

        task = asyncio.create_task(event())
        await _tick()
        assert gate.suspended
        assert log == []
        async with gate.committing():  # a timer commit meanwhile does not open it
            pass
        await _tick()
        assert log == []
        gate.resume()
        await task
        return log

    assert asyncio.run(scenario()) == ["event"]


class _FaustConsumerState:
    """The bookkeeping faust's Consumer keeps, as GatedConsumer._new_offset reads it."""

    in_transaction = True

    def __init__(self, acked: list[int], committed: int | None, gate: CommitGate[TP]) -> None:
        self._acked = defaultdict(list, {SOURCE: acked})
        self._acked_index = defaultdict(set, {SOURCE: set(acked)})
        self._gap: defaultdict[TP, Any] = defaultdict(list)  # an IntervalTree in faust
        self._committed_offset = defaultdict(lambda: None, {SOURCE: committed})
        self.app = SimpleNamespace(eos=SimpleNamespace(gate=gate))


@pytest.fixture
def fresh_gate() -> CommitGate[TP]:
    return CommitGate()


def test_events_faust_acked_without_processing_never_move_the_committed_offset(
    fresh_gate: CommitGate[TP],
) -> None:
    # After a rebalance faust acks the events it skips (older consumer generation, flow control
    # suspended). Counting them committed offsets 1038-1050 while only 1035-1037 had produced
    # output, and the edits in between were lost at the next crash.
    consumer = _FaustConsumerState([1035, 1036, 1037, *range(1045, 1051)], 1035, fresh_gate)
    for offset in (1035, 1036, 1037):
        fresh_gate.processed(SOURCE, offset)
    assert GatedConsumer._new_offset(consumer, SOURCE) == 1038  # type: ignore[arg-type]
    assert consumer._acked[SOURCE] == []  # faust's list is reset, so it cannot grow


def test_a_position_at_or_below_the_committed_offset_is_not_committed_again(
    fresh_gate: CommitGate[TP],
) -> None:
    consumer = _FaustConsumerState([40], 41, fresh_gate)
    fresh_gate.processed(SOURCE, 40)
    assert GatedConsumer._new_offset(consumer, SOURCE) is None  # type: ignore[arg-type]
