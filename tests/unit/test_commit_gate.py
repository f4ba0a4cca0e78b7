"""The commit gate of streams/eos.py: a transaction never carries half an event."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest
from faust.types import TP

from streams import eos
from streams.eos import CommitGate, GatedConsumer


async def _tick(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_a_commit_waits_for_the_events_in_flight() -> None:
    async def scenario() -> list[str]:
        gate, log = CommitGate(), []
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
        gate, log = CommitGate(), []
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
        gate = CommitGate()
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
        gate = CommitGate()
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
        gate, log = CommitGate(), []
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
    gate = CommitGate()
    for offset in (7, 8, 9):
        gate.processed(SOURCE, offset)
    assert gate.take_position(SOURCE) == 10
    assert gate.take_position(SOURCE) is None  # nothing new since that commit
    gate.processed(SOURCE, 10)
    gate.forget({SOURCE})  # revoked before the commit: redone after the seek
    assert gate.take_position(SOURCE) is None


class _FaustConsumerState:
    """The bookkeeping faust's Consumer keeps, as GatedConsumer._new_offset reads it."""

    in_transaction = True

    def __init__(self, acked: list[int], committed: int | None) -> None:
        self._acked = defaultdict(list, {SOURCE: acked})
        self._acked_index = defaultdict(set, {SOURCE: set(acked)})
        self._gap: defaultdict[TP, Any] = defaultdict(list)  # an IntervalTree in faust
        self._committed_offset = defaultdict(lambda: None, {SOURCE: committed})


@pytest.fixture
def fresh_gate(monkeypatch: pytest.MonkeyPatch) -> CommitGate:
    gate = CommitGate()
    monkeypatch.setattr(eos, "gate", gate)
    return gate


def test_events_faust_acked_without_processing_never_move_the_committed_offset(
    fresh_gate: CommitGate,
) -> None:
    # After a rebalance faust acks the events it skips (older consumer generation, flow control
    # suspended). Counting them committed offsets 1038-1050 while only 1035-1037 had produced
    # output, and the edits in between were lost at the next crash.
    consumer = _FaustConsumerState(acked=[1035, 1036, 1037, *range(1045, 1051)], committed=1035)
    for offset in (1035, 1036, 1037):
        fresh_gate.processed(SOURCE, offset)
    assert GatedConsumer._new_offset(consumer, SOURCE) == 1038  # type: ignore[arg-type]
    assert consumer._acked[SOURCE] == []  # faust's list is reset, so it cannot grow
    assert GatedConsumer._new_offset(consumer, SOURCE) is None  # type: ignore[arg-type]


def test_a_position_at_or_below_the_committed_offset_is_not_committed_again(
    fresh_gate: CommitGate,
) -> None:
    consumer = _FaustConsumerState(acked=[40], committed=41)
    fresh_gate.processed(SOURCE, 40)
    assert GatedConsumer._new_offset(consumer, SOURCE) is None  # type: ignore[arg-type]
