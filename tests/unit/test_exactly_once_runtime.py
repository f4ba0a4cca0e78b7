"""The per-event loop of streams/exactly_once/runtime.py with fakes for faust: which errors are
dead letters and which stop the worker, stale events, positions; plus the kill points and the
co-partitioning check."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, ProducerFenced
from faust.types import TP

from streams.errors import ConfigError, DecodeError, MappingError
from streams.exactly_once import check_copartitioned, is_bad_input, process_stream
from streams.exactly_once.consumer import commit_due
from streams.exactly_once.kill_points import KillPoints, parse
from streams.exactly_once.offset_guard import MAX_HOLES, OffsetGuard
from streams.exactly_once.runtime import Runtime

TOPIC = "siebel-ccb-sync-hub-events"


@dataclass
class FakeApp:
    consumer_generation_id: int = 3
    in_transaction: bool = True
    crashes: list[BaseException] = field(default_factory=list)
    aborted: int = 0

    def __post_init__(self) -> None:
        self.eos = Runtime(self, KillPoints({}))  # type: ignore[arg-type]
        self.producer = SimpleNamespace(abort_all=self._abort_all)

    async def _abort_all(self) -> None:
        self.aborted += 1

    async def crash(self, exc: BaseException) -> None:
        self.crashes.append(exc)


def _event(offset: int, generation: int = 3, value: Any = None) -> Any:
    message = SimpleNamespace(
        topic=TOPIC,
        partition=0,
        offset=offset,
        tp=TP(TOPIC, 0),
        generation_id=generation,
        key=b"1-ABC",
        value=value,
    )
    return SimpleNamespace(message=message)


class FakeStream:
    def __init__(self, app: FakeApp, events: list[Any]) -> None:
        self.app, self._events = app, events
        self.channel = SimpleNamespace(queue=asyncio.Queue())

    async def events(self) -> AsyncIterator[Any]:
        for event in self._events:
            yield event


def _run(
    app: FakeApp, events: list[Any], fail_on: dict[int, Exception]
) -> tuple[list[int], list[int]]:
    handled: list[int] = []
    dead: list[int] = []

    async def handle(event: Any) -> None:
        handled.append(event.message.offset)
        if event.message.offset in fail_on:
            raise fail_on[event.message.offset]

    async def on_bad_input(exc: Exception, event: Any) -> None:
        dead.append(event.message.offset)

    asyncio.run(process_stream(FakeStream(app, events), handle, on_bad_input))  # type: ignore[arg-type]
    return handled, dead


@pytest.mark.parametrize(
    "exc",
    [DecodeError("not JSON"), MappingError("unmapped code"), KeyError("row"), ValueError("x")],
)
def test_bad_input_is_dead_lettered_and_processing_goes_on(exc: Exception) -> None:
    app = FakeApp()
    handled, dead = _run(app, [_event(n) for n in range(3)], {1: exc})
    assert (handled, dead, app.crashes) == ([0, 1, 2], [1], [])
    assert app.eos.gate.position(TP(TOPIC, 0)) == 3  # past the dead letter


@pytest.mark.parametrize(
    "exc",
    [
        ProducerFenced(),
        KafkaTimeoutError(),
        ConnectionError("broker down"),
        TimeoutError(),
        ConfigError("schema not registered"),
        AssertionError("not in transaction"),
    ],
)
def test_an_infrastructure_error_stops_the_worker_without_passing_the_event(
    exc: Exception,
) -> None:
    app = FakeApp()
    handled, dead = _run(app, [_event(n) for n in range(3)], {1: exc})
    assert (handled, dead) == ([0, 1], [])  # nothing after it, nothing dead-lettered
    assert app.crashes == [exc]
    assert app.aborted == 1  # open transactions aborted, not left to time out
    assert app.eos.gate.position(TP(TOPIC, 0)) == 1  # a commit would stop before it
    assert app.eos.failure is exc


def test_a_failing_dead_letter_send_is_an_infrastructure_error() -> None:
    app = FakeApp()

    async def handle(event: Any) -> None:
        raise DecodeError("bad")

    async def on_bad_input(exc: Exception, event: Any) -> None:
        raise KafkaTimeoutError()

    stream = FakeStream(app, [_event(0), _event(1)])
    asyncio.run(process_stream(stream, handle, on_bad_input))  # type: ignore[arg-type]
    assert len(app.crashes) == 1
    assert app.eos.gate.position(TP(TOPIC, 0)) is None


def test_events_of_an_earlier_assignment_are_not_processed() -> None:
    app = FakeApp()
    handled, _ = _run(app, [_event(0, generation=2), _event(0), _event(1)], {})
    assert handled == [0, 1]  # the stale copy of offset 0 skipped; it comes again after a seek


async def _at_a_shut_gate(app: FakeApp, then: Any) -> list[int]:
    """Offset 0 reaches the loop while the gate is suspended; `then(app)` runs while it waits,
    and the gate is resumed after it."""
    handled: list[int] = []

    async def handle(event: Any) -> None:
        handled.append(event.message.offset)

    async def on_bad_input(exc: Exception, event: Any) -> None:
        raise AssertionError("no bad input here")

    app.eos.gate.suspend()
    loop = asyncio.create_task(process_stream(FakeStream(app, [_event(0)]), handle, on_bad_input))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert handled == []  # held at the gate
    then(app)
    app.eos.gate.resume()
    await asyncio.wait_for(loop, 1.0)
    return handled


def test_an_event_of_the_current_assignment_waits_for_a_shut_gate_and_is_processed() -> None:
    # recovery can resume the flow before the assignment callback opens the gate: skipping the
    # event would leave it to the stall timer (10-20 s)
    handled = asyncio.run(_at_a_shut_gate(FakeApp(), lambda app: None))
    assert handled == [0]


def test_an_event_waiting_at_the_gate_is_dropped_if_a_rebalance_or_failure_came_meanwhile() -> None:
    def rebalance(app: FakeApp) -> None:
        app.consumer_generation_id += 1

    def failure(app: FakeApp) -> None:
        app.eos.failure = RuntimeError("fenced")

    assert asyncio.run(_at_a_shut_gate(FakeApp(), rebalance)) == []
    assert asyncio.run(_at_a_shut_gate(FakeApp(), failure)) == []


def test_duplicates_are_skipped_by_offset() -> None:
    app = FakeApp()
    handled, _ = _run(app, [_event(0), _event(1), _event(1), _event(0), _event(2)], {})
    assert handled == [0, 1, 2]


def test_which_errors_are_bad_input() -> None:
    assert is_bad_input(json.JSONDecodeError("x", "", 0))
    assert is_bad_input(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"))
    assert not is_bad_input(ProducerFenced())
    assert not is_bad_input(OSError())
    assert not is_bad_input(RuntimeError("a bug"))


def test_kill_points_parse_and_fire_on_the_nth_hit() -> None:
    assert parse("revoke, commit.after_flush@3") == {"revoke": 1, "commit.after_flush": 3}
    with pytest.raises(ValueError, match="unknown kill point"):
        parse("comit.after_flush")
    points = KillPoints({"SYNC_KILL_POINTS": "recovery@2"})
    assert [points.reached("recovery") for _ in range(3)] == [False, True, False]
    assert not points.reached("revoke")


def test_topics_of_another_partition_count_refuse_the_start() -> None:
    check_copartitioned({"a": 4, "b": 4, "c": None}, 4)  # c is created with 4
    with pytest.raises(ConfigError, match=r"siebel\.siebel\.s_order has 1"):
        check_copartitioned({"siebel.siebel.s_order": 1, "hub": 4}, 4)


def test_the_guard_keeps_no_holes_for_partitions_no_agent_reads() -> None:
    guard = OffsetGuard()
    guard.watch([TOPIC])
    changelog = TP("siebel-ccb-sync-hub-changelog", 0)
    guard.on_seek(changelog, 0)
    guard.on_fetched(changelog, range(0, 10_000, 2))  # a standby: every other offset a marker
    assert guard.tracked() == 0
    source = TP(TOPIC, 0)
    guard.on_seek(source, 0)
    guard.on_fetched(source, range(0, 4 * MAX_HOLES, 2))
    assert guard.tracked() == MAX_HOLES  # bounded even where agents read


def test_a_worker_is_quiet_when_every_fetched_event_is_handled_and_some_wait_for_a_commit() -> None:
    app = FakeApp()
    rt = app.eos
    queue: asyncio.Queue[Any] = asyncio.Queue()
    rt.channels.append(SimpleNamespace(queue=queue))
    tp = TP(TOPIC, 0)
    assert not rt.quiet()  # nothing to commit
    rt.gate.processed(tp, 5)
    assert rt.quiet()
    queue.put_nowait("an event waiting for its agent")
    assert not rt.quiet()
    queue.get_nowait()
    rt.in_hand.add(tp)  # a fetched batch being handed on
    assert not rt.quiet()
    rt.in_hand.clear()

    async def handling() -> bool:
        async with rt.gate.processing():
            return rt.quiet()

    assert asyncio.run(handling()) is False  # an event being handled
    rt.gate.committed({tp: 6})
    assert not rt.quiet()


def test_the_stream_loop_makes_its_channel_count_towards_quiet() -> None:
    app = FakeApp()
    stream = FakeStream(app, [])
    asyncio.run(process_stream(stream, _noop, _noop_bad))  # type: ignore[arg-type]
    asyncio.run(process_stream(stream, _noop, _noop_bad))  # type: ignore[arg-type]
    assert app.eos.channels == [stream.channel]


async def _noop(event: Any) -> None:
    return None


async def _noop_bad(exc: Exception, event: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("since", "quiet", "due"),
    [
        (0.01, True, False),  # too soon after the last commit, even when quiet
        (0.03, True, True),  # quiet: no need to wait for the interval
        (0.03, False, False),  # busy: the interval decides
        (0.1, False, True),
        (0.25, False, True),
    ],
)
def test_a_commit_is_due_at_the_interval_or_sooner_when_the_worker_is_quiet(
    since: float, quiet: bool, due: bool
) -> None:
    assert commit_due(since, 0.1, lambda: quiet) is due
