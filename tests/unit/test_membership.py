"""The watch on a worker's group membership (streams/exactly_once/membership.py): aiokafka's
coordination task ending with an error stops the worker; a running, stopped or not yet started
one does not."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from streams.exactly_once.kill_points import KillPoints
from streams.exactly_once.membership import MembershipError, coordination_failure
from streams.exactly_once.runtime import Runtime


def _consumer(task: Any, closing: bool = False) -> Any:
    """faust's consumer as membership.py reads it: its thread's aiokafka consumer's coordinator."""
    closed = SimpleNamespace(done=lambda: closing)
    coordinator = SimpleNamespace(_coordination_task=task, _closing=closed)
    return SimpleNamespace(
        _thread=SimpleNamespace(_consumer=SimpleNamespace(_coordinator=coordinator))
    )


async def _ended(body: Any) -> asyncio.Task[None]:
    task = asyncio.ensure_future(body())
    await asyncio.gather(task, return_exceptions=True)  # the task keeps what it raised
    return task


async def _raises() -> None:
    raise AssertionError("assignment for another worker")


async def _returns() -> None:
    return None


def test_a_coordination_that_ended_with_an_error_is_a_membership_failure() -> None:
    task = asyncio.run(_ended(_raises))
    failure = coordination_failure(_consumer(task))
    assert isinstance(failure, MembershipError)
    assert "another worker" in str(failure)
    assert isinstance(failure.__cause__, AssertionError)


def test_a_running_stopped_or_absent_coordination_is_not() -> None:
    async def running() -> Any:
        task = asyncio.ensure_future(asyncio.sleep(10))
        await asyncio.sleep(0)
        found = coordination_failure(_consumer(task))
        task.cancel()
        return found

    async def cancelled() -> asyncio.Task[None]:
        task = asyncio.ensure_future(asyncio.sleep(10))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return task

    assert asyncio.run(running()) is None
    assert coordination_failure(_consumer(asyncio.run(cancelled()))) is None  # a clean stop
    assert coordination_failure(_consumer(asyncio.run(_ended(_returns)))) is None
    assert coordination_failure(SimpleNamespace(_thread=None)) is None  # not started yet


def test_an_error_while_the_consumer_stops_is_the_stops_to_report() -> None:
    task = asyncio.run(_ended(_raises))
    assert coordination_failure(_consumer(task, closing=True)) is None


def test_the_runtime_stops_the_worker_on_a_membership_failure() -> None:
    crashed: list[BaseException] = []

    async def crash(exc: BaseException) -> None:
        crashed.append(exc)

    app: Any = SimpleNamespace(producer=None, in_transaction=False, crash=crash)
    rt = Runtime(app, KillPoints({}))
    app.consumer = _consumer(asyncio.run(_ended(_returns)))
    asyncio.run(rt.check_membership())
    assert crashed == []
    app.consumer = _consumer(asyncio.run(_ended(_raises)))
    asyncio.run(rt.check_membership())
    assert [type(exc) for exc in crashed] == [MembershipError]
    assert rt.failure is crashed[0]  # nothing is committed after it
