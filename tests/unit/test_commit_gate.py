"""The commit gate of streams/eos.py: a transaction never carries half an event."""

from __future__ import annotations

import asyncio

from streams.eos import CommitGate


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
