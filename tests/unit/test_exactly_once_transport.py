"""The fetch loop and the per-event transactions of streams/exactly_once/, with fakes for faust
and aiokafka: what is delivered, sought back, committed, aborted or refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka.errors import ProducerFenced
from faust.types import TP

from streams.exactly_once import fetch_loop
from streams.exactly_once.consumer import GatedConsumer
from streams.exactly_once.kill_points import KillPoints
from streams.exactly_once.offset_guard import OffsetGuard
from streams.exactly_once.runtime import Runtime
from streams.exactly_once.seeks import Seeks
from streams.exactly_once.transactions import (
    EventTransactions,
    StrictProducer,
    TransactionError,
)

HUB = TP("app-hub-events", 1)
ORDERS = TP("app-orders-events", 2)


class FakeFaustConsumer:
    """What fetch_loop.getmany reads of faust's Consumer."""

    def __init__(self, records: dict[TP, list[int]], stop_flow_after: int | None = None) -> None:
        self.records = {
            tp: [SimpleNamespace(offset=o) for o in offs] for tp, offs in records.items()
        }
        self.app = SimpleNamespace(
            consumer_generation_id=5,
            monitor=SimpleNamespace(track_tp_end_offset=lambda tp, offset: None),
        )
        self.should_stop = False
        self._read_offset: dict[TP, int] = {}
        self._buffered_partitions: set[TP] = set()
        self.delivered = 0
        self.stop_flow_after = stop_flow_after
        self.sought: dict[TP, int] = {}
        self.scheduler = SimpleNamespace(iterate=self._iterate)

    def _iterate(self, records: dict[TP, list[Any]]) -> Iterator[tuple[TP, Any]]:
        for tp, batch in records.items():
            for record in batch:
                yield tp, record

    @property
    def flow_active(self) -> bool:
        return self.stop_flow_after is None or self.delivered < self.stop_flow_after

    async def _wait_next_records(self, timeout: float) -> tuple[dict[TP, list[Any]], None]:
        return self.records, None

    def highwater(self, tp: TP) -> int:
        return 100

    def _to_message(self, tp: TP, record: Any) -> tuple[TP, int]:
        self.delivered += 1
        return tp, record.offset

    def assignment(self) -> set[TP]:
        return {HUB, ORDERS}

    async def seek_wait(self, partitions: dict[TP, int]) -> None:
        self.sought.update(partitions)


async def _drain(
    consumer: FakeFaustConsumer, guard: OffsetGuard, seeks: Seeks[TP] | None = None
) -> list[Any]:
    return [m async for _, m in fetch_loop.getmany(consumer, 1.0, guard, seeks or Seeks())]


def test_records_not_handed_on_are_sought_back_to_the_first_of_them() -> None:
    consumer = FakeFaustConsumer({HUB: [10, 11, 12, 13], ORDERS: [7, 8]}, stop_flow_after=2)
    delivered = asyncio.run(_drain(consumer, OffsetGuard()))
    assert delivered == [(HUB, 10), (HUB, 11)]  # flow control stopped the batch half-way
    assert consumer.sought == {HUB: 12, ORDERS: 7}  # nothing after the first held back is lost


def test_a_batch_fetched_again_at_the_guards_request_passes_faust_s_read_offset_filter() -> None:
    guard = OffsetGuard()
    guard.start(HUB, 10)
    assert guard.admit(HUB, 10).value == "process"
    assert guard.admit(HUB, 13).value == "missing"  # 11 and 12 were lost on the way
    assert guard.needs_seek(HUB) == 11
    consumer = FakeFaustConsumer({HUB: [11, 12, 13]})
    consumer._read_offset[HUB] = 14
    asyncio.run(_drain(consumer, guard))
    assert consumer._read_offset[HUB] == 11


def test_a_changed_consumer_generation_delivers_nothing_more_and_seeks_nothing() -> None:
    consumer = FakeFaustConsumer({HUB: [1, 2, 3]})
    real = consumer._to_message

    def to_message(tp: TP, record: Any) -> tuple[TP, int]:
        consumer.app.consumer_generation_id = 6  # a rebalance while the batch is handed on
        return real(tp, record)

    consumer._to_message = to_message  # type: ignore[method-assign]
    assert asyncio.run(_drain(consumer, OffsetGuard())) == [(HUB, 1)]
    assert consumer.sought == {}  # the rebalance seeks every partition itself


def test_a_batch_fetched_across_a_seek_is_dropped_and_the_partition_sought_there_again() -> None:
    # the client returned HUB 40-42 (its old position) just before the seek to 10 ran on its
    # thread; the batch reaches the loop after the seek
    consumer = FakeFaustConsumer({HUB: [40, 41, 42], ORDERS: [7, 8]})
    guard, seeks = OffsetGuard(), Seeks[TP]()
    guard.start(HUB, 10)
    real = consumer._wait_next_records

    async def fetch_across_a_seek(timeout: float) -> tuple[dict[TP, list[Any]], None]:
        seeks.begin({HUB: 10})
        seeks.end([HUB])
        return await real(timeout)

    consumer._wait_next_records = fetch_across_a_seek  # type: ignore[method-assign]
    delivered = asyncio.run(_drain(consumer, guard, seeks))
    assert delivered == [(ORDERS, 7), (ORDERS, 8)]
    assert consumer.sought == {HUB: 10}
    guard.on_fetched(HUB, [10])  # what the client fetches next
    assert guard.admit(HUB, 10).value == "process"


def test_a_batch_fetched_while_a_seek_was_under_way_is_dropped() -> None:
    consumer = FakeFaustConsumer({HUB: [40, 41]})
    seeks: Seeks[TP] = Seeks()
    seeks.begin({HUB: 10})  # issued, not done when the loop looked
    delivered = asyncio.run(_drain(consumer, OffsetGuard(), seeks))
    assert delivered == []
    assert consumer.sought == {HUB: 10}


def test_a_batch_fetched_with_no_seek_in_between_is_delivered() -> None:
    consumer = FakeFaustConsumer({HUB: [10, 11]})
    seeks: Seeks[TP] = Seeks()
    seeks.begin({HUB: 10})
    seeks.end([HUB])  # before the loop looked
    assert asyncio.run(_drain(consumer, OffsetGuard(), seeks)) == [(HUB, 10), (HUB, 11)]
    assert consumer.sought == {}


# --- transactions ----------------------------------------------------------------------------


class FakeTxnManager:
    def __init__(self) -> None:
        self.state = "ready"
        self.records = 0

    def is_in_transaction(self) -> bool:
        return self.state == "in"

    def is_empty_transaction(self) -> bool:
        return self.records == 0


class FakeKafkaProducer:
    def __init__(self, fail: BaseException | None = None) -> None:
        self._txn_manager = FakeTxnManager()
        self.fail = fail
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append("init")

    async def begin_transaction(self) -> None:
        self.calls.append("begin")
        self._txn_manager.state = "in"

    async def flush(self) -> None:
        self.calls.append("flush")

    async def send_offsets_to_transaction(self, offsets: Any, group: str) -> None:
        self.calls.append(f"offsets {sorted(offsets.values())}")

    async def commit_transaction(self) -> None:
        if self.fail:
            raise self.fail
        self.calls.append("commit")
        self._txn_manager.state, self._txn_manager.records = "ready", 0

    async def abort_transaction(self) -> None:
        self.calls.append("abort")
        self._txn_manager.state, self._txn_manager.records = "ready", 0

    async def stop(self) -> None:
        self.calls.append("stop")


def _producer(**transactions: FakeKafkaProducer) -> StrictProducer:
    producer = StrictProducer.__new__(StrictProducer)  # the methods under test, no faust start
    producer._transaction_producers = dict(transactions)
    producer._trn_locks = {}
    app: Any = SimpleNamespace()
    app.eos = Runtime(app, KillPoints({}))
    producer.app = app
    fake: Any = producer
    fake._new_producer = lambda transactional_id: FakeKafkaProducer()
    return producer


def test_a_commit_flushes_sends_the_offsets_commits_and_begins_the_next() -> None:
    kafka = FakeKafkaProducer()
    producer = _producer(**{"app-0-1": kafka})
    asyncio.run(producer.begin_transaction("app-0-1"))
    asyncio.run(producer.commit_transactions({"app-0-1": {HUB: 42}}, "app"))
    assert kafka.calls == ["begin", "flush", "offsets [42]", "commit", "begin"]


@pytest.mark.parametrize("error", [ProducerFenced(), ConnectionError("broker gone")])
def test_a_failed_commit_raises_instead_of_being_logged_and_forgotten(
    error: BaseException,
) -> None:
    producer = _producer(**{"app-0-1": FakeKafkaProducer(fail=error)})
    with pytest.raises(TransactionError, match="app-0-1"):
        asyncio.run(producer.commit_transactions({"app-0-1": {HUB: 42}}, "app"))


class SlowCommit(FakeKafkaProducer):
    """Its commit takes a while, as an EndTxn round trip does; `log` orders every producer's
    starts and ends."""

    def __init__(self, name: str, log: list[str], fail: BaseException | None = None) -> None:
        super().__init__(fail)
        self.name, self.log = name, log

    async def commit_transaction(self) -> None:
        self.log.append(f"start {self.name}")
        await asyncio.sleep(0.01)
        self.log.append(f"end {self.name}")
        await super().commit_transaction()


def test_the_producers_commit_at_the_same_time_not_one_after_another() -> None:
    log: list[str] = []
    producers = {f"app-0-{p}": SlowCommit(str(p), log) for p in range(3)}
    producer = _producer(**producers)
    offsets = {tid: {HUB: 7} for tid in producers}
    asyncio.run(producer.commit_transactions(offsets, "app"))
    assert log[:3] == ["start 0", "start 1", "start 2"]  # the agents wait for one EndTxn
    assert all(p.calls == ["flush", "offsets [7]", "commit", "begin"] for p in producers.values())


def test_a_failed_commit_is_raised_after_the_others_have_ended() -> None:
    log: list[str] = []
    fenced = SlowCommit("1", log, fail=ProducerFenced())
    others = [SlowCommit("0", log), SlowCommit("2", log)]
    producer = _producer(**{"app-0-0": others[0], "app-0-1": fenced, "app-0-2": others[1]})
    offsets = {tid: {HUB: 7} for tid in ("app-0-0", "app-0-1", "app-0-2")}
    with pytest.raises(TransactionError, match="app-0-1"):
        asyncio.run(producer.commit_transactions(offsets, "app"))
    # none is left half-way: each other transaction is committed and the next one begun
    assert all(p.calls[-2:] == ["commit", "begin"] for p in others)


def test_a_commit_for_a_partition_without_a_producer_is_an_error() -> None:
    with pytest.raises(TransactionError, match="no producer"):
        asyncio.run(_producer().commit_transactions({"app-0-3": {HUB: 1}}, "app"))


def test_begin_starts_a_new_producer_once_and_keeps_an_open_transaction() -> None:
    producer = _producer()
    asyncio.run(producer.begin_transaction("app-0-2"))
    asyncio.run(producer.begin_transaction("app-0-2"))  # kept across a rebalance: no new one
    kafka: Any = producer._transaction_producers["app-0-2"]
    assert kafka.calls == ["init", "begin"]  # InitProducerId fences a previous owner


def test_stopping_a_partition_aborts_what_its_transaction_holds() -> None:
    kafka = FakeKafkaProducer()
    producer = _producer(**{"app-0-1": kafka})
    asyncio.run(producer.begin_transaction("app-0-1"))
    kafka._txn_manager.records = 3
    assert producer.open_transactions() == {"app-0-1": True}
    asyncio.run(producer.stop_transaction("app-0-1"))
    assert kafka.calls[-2:] == ["abort", "stop"]
    assert producer.open_transactions() == {}


def _transactions(producer: StrictProducer) -> EventTransactions:
    manager = EventTransactions.__new__(EventTransactions)
    assignor = SimpleNamespace(group_for_topic=lambda topic: 0, is_standby=lambda tp: False)
    app: Any = producer.app
    app.conf = SimpleNamespace(id="app")
    app.assignor = assignor
    app.tables = {}
    manager.app = app
    manager.producer = producer
    manager.log = SimpleNamespace(info=lambda *args: None)  # type: ignore[assignment]
    # faust's consumer thread, as far as the commit-livelock detector's bookkeeping goes
    thread = SimpleNamespace(tp_last_committed_at={})
    manager.consumer = SimpleNamespace(_thread=thread)  # type: ignore[assignment]
    return manager


def test_a_new_assignment_is_checked_for_hanging_transactions_once_its_producers_fenced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # before faust's table recovery reads a changelog or the flow resumes (faust calls the
    # transaction manager's on_rebalance before the tables'); the producers' InitProducerId
    # has fenced the previous owner by then, so what is still undecided stays undecided
    producer = _producer()
    manager = _transactions(producer)
    seen: list[tuple[list[str], list[TP]]] = []

    async def check(assigned: Any) -> None:
        kafka: Any = producer._transaction_producers["app-0-1"]
        seen.append((list(kafka.calls), sorted(assigned)))

    monkeypatch.setattr(producer.app.eos, "check_undecided", check)  # type: ignore[attr-defined]
    asyncio.run(manager.on_rebalance({HUB}, set(), {HUB}))
    assert seen == [(["init", "begin"], [HUB])]
    producer.app.eos.failure = RuntimeError("stopping")  # type: ignore[attr-defined]
    asyncio.run(manager.on_rebalance({HUB}, set(), set()))
    assert len(seen) == 1  # a worker that is stopping asks nothing more


def test_revoke_refuses_records_that_no_event_position_covers() -> None:
    kafka = FakeKafkaProducer()
    producer = _producer(**{"app-0-1": kafka})
    asyncio.run(producer.begin_transaction("app-0-1"))
    kafka._txn_manager.records = 1
    with pytest.raises(TransactionError, match="no event to commit"):
        asyncio.run(_transactions(producer).end_all({}))


def test_revoke_commits_the_pending_positions_and_begins_nothing() -> None:
    kafka = FakeKafkaProducer()
    producer = _producer(**{"app-0-1": kafka})
    asyncio.run(producer.begin_transaction("app-0-1"))
    kafka._txn_manager.records = 2
    manager = _transactions(producer)
    asyncio.run(manager.end_all({HUB: 9}))
    assert kafka.calls[-3:] == ["flush", "offsets [9]", "commit"]
    assert not kafka._txn_manager.is_in_transaction()
    assert producer.app.eos.gate.pending() == {}  # type: ignore[attr-defined]
    # faust's livelock detector hears of the commit (it does not of transactional ones)
    committed_at: Any = manager.consumer
    assert set(committed_at._thread.tp_last_committed_at) == {HUB}


def test_a_send_joins_the_transaction_of_the_event_being_processed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, str | None]] = []

    async def send(topic: str, *args: Any, transactional_id: str | None = None) -> None:
        sent.append((topic, transactional_id))

    producer = _producer()
    producer.send = send  # type: ignore[method-assign,assignment]
    manager = _transactions(producer)
    manager.consumer = SimpleNamespace(key_partition=lambda topic, key, partition: 3)  # type: ignore[assignment]
    event = SimpleNamespace(message=SimpleNamespace(tp=ORDERS))
    monkeypatch.setattr(faust, "current_event", lambda: event)
    asyncio.run(manager.send("app-hub-events", b"k", b"v", None, None, None))
    assert sent == [("app-hub-events", "app-0-2")]  # the event's partition 2, not destination 3


def test_a_send_outside_any_event_joins_no_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    # a timer's record would otherwise sit in a partition's transaction with no offset to
    # commit it, and make the next revoke refuse to go on
    sent: list[tuple[str, str | None]] = []

    async def send(topic: str, *args: Any, transactional_id: str | None = None) -> None:
        sent.append((topic, transactional_id))

    producer = _producer()
    fake: Any = producer
    fake.send = send
    manager = _transactions(producer)
    monkeypatch.setattr(faust, "current_event", lambda: None)
    asyncio.run(manager.send("app-hub-events", b"k", b"v", None, None, None))
    assert sent == [("app-hub-events", None)]


# --- the position faust's table recovery asks for ------------------------------------------


class _Queue:
    def __init__(self, size: int) -> None:
        self.size = size

    def empty(self) -> bool:
        return self.size == 0


def _recovering_consumer(
    client_position: int, *, queued: int = 0, seek_meanwhile: bool = False
) -> tuple[Any, Runtime]:
    consumer: Any = GatedConsumer.__new__(GatedConsumer)  # the method under test, no start
    rt = Runtime(SimpleNamespace())  # type: ignore[arg-type]

    async def position(tp: TP) -> int:
        if seek_meanwhile:  # a rebalance's new recovery seeks while the question is under way
            rt.seeks.begin({tp: 3})
            rt.seeks.end([tp])
        return client_position

    consumer.app = SimpleNamespace(eos=rt, tables=SimpleNamespace(changelog_queue=_Queue(queued)))
    consumer._thread = SimpleNamespace(position=position)
    return consumer, rt


CHANGELOG = TP("app-hub-changelog", 2)


def test_recovery_sees_the_clients_position_when_all_it_returned_is_applied() -> None:
    consumer, _ = _recovering_consumer(544)
    assert asyncio.run(consumer.position(CHANGELOG)) == 544


@pytest.mark.parametrize(
    "why",
    ["records in the changelog queue", "a batch being handed on", "a seek while asking"],
)
def test_recovery_is_told_nothing_is_past_while_records_are_not_applied(why: str) -> None:
    # faust would mark the changelog read up to its highwater ("Aborted tx until highwater")
    # and skip the records still on their way: the table would miss them
    consumer, rt = _recovering_consumer(
        544,
        queued=3 if why == "records in the changelog queue" else 0,
        seek_meanwhile=why == "a seek while asking",
    )
    if why == "a batch being handed on":
        rt.in_hand.add(CHANGELOG)
    assert asyncio.run(consumer.position(CHANGELOG)) == -1
