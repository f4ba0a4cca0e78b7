"""A commit's wait for the buffered table writes (consumer.py `_drain_table_writes`), on faust's
real ProducerBuffer and its task: every write is sent before the commit goes on, and in the order
the tables made them, although each send yields to the event loop on its way (as faust's does,
through mode's `stampede`). A changelog in another order rebuilds a table with older state."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.producer import ProducerBuffer
from mode.utils.futures import stampede

from streams.exactly_once.consumer import GatedConsumer, TableWritesError
from streams.exactly_once.kill_points import KillPoints
from streams.exactly_once.runtime import Runtime


class _Starter:
    @stampede
    async def maybe_start_producer(self) -> str:  # faust's App.maybe_start_producer, EOS path
        return "transaction manager"


def _consumer_with_buffer(sent: list[int]) -> tuple[Any, ProducerBuffer]:
    app: Any = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    app.eos = Runtime(app, KillPoints({}))
    buffer = ProducerBuffer()
    buffer.app = app
    gate = app.eos.gate

    starter = _Starter()

    async def send(fut: Any) -> None:  # StrictProducer's `tracked` around faust's send
        async with gate.background_send():
            await starter.maybe_start_producer()  # as faust's Topic.publish_message does
            sent.append(fut)  # the producer has it

    buffer._send_pending = send  # type: ignore[method-assign]
    app.producer = SimpleNamespace(buffer=buffer)
    consumer: Any = SimpleNamespace(app=app)
    return consumer, buffer


def _drain(consumer: Any) -> Any:
    return GatedConsumer._drain_table_writes(consumer)


def test_a_commit_waits_for_every_table_write_and_they_go_out_in_order() -> None:
    sent: list[int] = []

    async def scenario() -> None:
        consumer, buffer = _consumer_with_buffer(sent)
        await buffer.start()
        try:
            for n in range(200):
                buffer.put(n)  # type: ignore[arg-type]
                if n % 7 == 0:
                    await asyncio.sleep(0)  # the task is part-way through when the commit comes
            await _drain(consumer)
            assert buffer.size == 0
            assert len(sent) == 200  # all in the transaction the commit is about to end
        finally:
            await buffer.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert sent == list(range(200))


def test_a_stopping_buffer_is_drained_by_the_commit_in_order() -> None:
    sent: list[int] = []

    async def scenario() -> None:
        consumer, buffer = _consumer_with_buffer(sent)  # never started: its task sends nothing
        await buffer.stop()
        for n in range(20):
            buffer.put(n)  # type: ignore[arg-type]
        assert buffer.should_stop
        await _drain(consumer)
        assert buffer.size == 0

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert sent == list(range(20))


def test_writes_a_crashed_buffer_left_fail_the_commit_instead_of_waiting_for_ever() -> None:
    async def scenario() -> None:
        consumer, buffer = _consumer_with_buffer([])
        await buffer.crash(RuntimeError("the send failed"))
        buffer.put(1)  # type: ignore[arg-type]
        with pytest.raises(TableWritesError, match="1 table writes"):
            await _drain(consumer)

    asyncio.run(asyncio.wait_for(scenario(), 30))
