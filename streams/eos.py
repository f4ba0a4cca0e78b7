"""Exactly-once that holds for agent → internal topic → agent pipelines (DESIGN §5, R9).

faust-streaming 0.15 keeps one Kafka transaction per (topic group, partition) and commits a
transaction together with the consumer offsets of the partitions it names. But it picks the
transaction of a *send* from the partition the record is sent **to**, not from the event being
processed. In a multi-agent topology that breaks twice:

1. Atomicity: an event's output lands in another partition's transaction, so its offset can be
   committed while its output is still open (or the other way round).
2. Liveness: a record sent to `hub-events[3]` joins transaction "…-3", which only commits when
   some partition 3 has a new offset to commit. If the only pending work on partition 3 is that
   very record, the `read_committed` consumer never sees it, nothing commits, the broker aborts
   the transaction at `transaction.timeout.ms` and the worker dies with ProducerFenced. That is
   the stall seen with faust's stock EOS (faust-streaming issues #136, #323, #517).

The fix here is Kafka Streams' model: the transaction is the one of the partition whose event
is being processed. `EventTransactions.send` takes it from `faust.current_event()`; sends with
no current event (table changelog flushes, whose partition is the event's partition by faust's
table design) keep faust's choice.

Two more gaps are closed here. aiokafka's commit_transaction does not flush, so
`EventTransactions.commit` flushes each transaction's records before committing it. And
`CommitGate`: faust commits from a timer task, possibly while an agent
is half-way through an event whose first outputs are already in the transaction. A commit
waits until no event is in flight and holds new events back until it is done, so a transaction
always carries whole events and exactly the offsets of the events processed for them.

The offset committed for a partition (under both guarantees) is one past the last event *our
handlers finished* (`CommitGate.processed`), not one derived from faust's acks: faust also acks
events it skips without processing (fetched under an older consumer generation, or while flow
control is suspended for a rebalance). And an event is handed to a handler only in offset order
with nothing missing before it (`admit`, streams/offset_guard.py), because faust can lose
fetched records on the way to the agent (the fetch loop, streams/fetch_loop.py, no longer does;
the guard is the safety net). Local table state left by a crash is discarded at
start (streams/local_state.py). Lost fetched records cost whole ranges of Siebel edits in a
crash test; the other two can lose updates the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping, Set
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import faust
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, AppT, HeadersArg, RecordMetadata
from faust.types.transports import TransportT

from streams import fetch_loop, local_state
from streams.offset_guard import OffsetGuard, Verdict


class _InFlight:
    """How many of something are under way, and an event set whenever none is."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    @contextmanager
    def track(self) -> Iterator[None]:
        # nothing awaited on the way out: a commit waiting for idle runs only after the event
        # has left the block, with its position (`processed`, recorded inside it) in place
        self.count += 1
        self.idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self.idle.set()


class CommitGate:
    """A readers/writer barrier on the event loop: events are readers, a commit is the writer.

    A waiting commit has priority, so a busy stream cannot postpone commits for ever. Table
    writes that faust's buffer task sends for events already processed are never held back,
    but a commit can wait for them.
    """

    def __init__(self) -> None:
        self._events = _InFlight()
        self._sends = _InFlight()
        self._open = asyncio.Event()
        self._open.set()
        self._commit_lock = asyncio.Lock()
        self._next_offset: dict[TP, int] = {}

    def processed(self, tp: TP, offset: int) -> None:
        """A handler finished the event at `offset`: everything before `offset + 1` is done."""
        if offset >= self._next_offset.get(tp, 0):
            self._next_offset[tp] = offset + 1

    def take_position(self, tp: TP) -> int | None:
        """The offset to commit for `tp`, if events were processed there since the last take."""
        return self._next_offset.pop(tp, None)

    def forget(self, tps: Iterable[TP]) -> None:
        """Partitions were revoked: what was processed there is committed or will be redone."""
        for tp in tps:
            self._next_offset.pop(tp, None)

    @property
    def in_flight(self) -> int:
        return self._events.count

    @asynccontextmanager
    async def processing(self) -> AsyncIterator[None]:
        while not self._open.is_set():
            await self._open.wait()
        with self._events.track():
            yield

    @asynccontextmanager
    async def background_send(self) -> AsyncIterator[None]:
        with self._sends.track():
            yield

    async def background_idle(self) -> None:
        await self._sends.idle.wait()

    @asynccontextmanager
    async def committing(self) -> AsyncIterator[None]:
        async with self._commit_lock:
            self._open.clear()
            try:
                await self._events.idle.wait()
                yield
            finally:
                self._open.set()


log = logging.getLogger(__name__)
gate = CommitGate()
guard = OffsetGuard()


async def admit(event: faust.EventT) -> bool:
    """Should the agent process this event? No for a duplicate, and no for an event that came
    after records faust lost — those are fetched again first (streams/offset_guard.py)."""
    message = event.message
    verdict = guard.admit(message.tp, message.offset)
    if verdict is Verdict.MISSING:
        expected = guard.needs_seek(message.tp)
        if expected is not None:
            log.info(
                "%s[%d]: got offset %d, expected %d; fetching again from %d in case records "
                "were lost on the way",
                message.topic,
                message.partition,
                message.offset,
                expected,
                expected,
            )
            await _seek(event.app, message.tp, expected)
    return verdict is Verdict.PROCESS


async def _seek(app: AppT, tp: TP, offset: int) -> None:
    # seek_wait runs on the consumer's own thread and event loop (faust's `seek` would call
    # aiokafka from this one), and lets the records from `offset` through `_read_offset`
    await app.consumer.seek_wait({tp: offset})


async def refetch_stalled(app: AppT) -> None:
    """Fetch again where records were fetched but never reached the agent, and no later record
    arrived to reveal it (streams/offset_guard.py); run on a timer."""
    assignment = app.consumer.assignment()
    for tp, offset in guard.stalled().items():
        if tp in assignment:
            log.warning("%s: no progress past offset %d; fetching again from there", tp, offset)
            await _seek(app, tp, offset)


def _transactional_id(app: AppT, tp: TP) -> str:
    # faust's own format (TransactionManager.transactional_id_format)
    return f"{app.conf.id}-{app.assignor.group_for_topic(tp.topic)}-{tp.partition}"


class EventTransactions(TransactionManager):
    """Sends join the transaction of the event being processed."""

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: HeadersArg | None,
        *,
        transactional_id: str | None = None,
    ) -> Awaitable[RecordMetadata]:
        event = faust.current_event()
        if event is None:
            return await super().send(topic, key, value, partition, timestamp, headers)
        tid = _transactional_id(self.app, event.message.tp)
        # None for a topic this worker does not consume (commands, DLQ): the producer's own
        # murmur2 partitioner places it, the same as every other producer (DESIGN §5.6).
        dest = self.consumer.key_partition(topic, key, partition)
        return await self.producer.send(
            topic, key, value, dest, timestamp, headers, transactional_id=tid
        )

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        """Flush each transaction's records before its commit.

        aiokafka's commit_transaction does not flush (Java's commitTransaction does): a record
        still in the accumulator when EndTxn goes out is written after the commit, into the
        next transaction, which a crash then aborts — while the offset of the event that made
        it is already committed. That is a lost record.
        """
        producers = self.producer._transaction_producers  # type: ignore[attr-defined]
        for tid in sorted({_transactional_id(self.app, tp) for tp in offsets}):
            producer = producers.get(tid)
            if producer is not None:
                await producer.flush()
        return bool(await super().commit(offsets, start_new_transaction))


class GatedConsumer(aiokafka_driver.Consumer):
    """Commits pass through the gate, flush table changelog writes into the transaction and
    commit exactly the position processing has reached."""

    async def on_stop(self) -> None:
        await super().on_stop()  # the final commit
        # faust reports a fenced final commit by crashing the app, not by raising
        if self.in_transaction and not self.app.crashed:
            local_state.mark_clean(self.app.conf.tabledir)

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        if not self.in_transaction:
            # at-least-once: faust flushes the producer but gives up on its table-write buffer
            # after 0.1 s; an offset committed before its event's changelog record is sent
            # leaves another worker that takes the partition over with older state
            await self._drain_table_writes()
            return bool(await super().force_commit(topics, start_new_transaction))
        async with gate.committing():
            await self._drain_table_writes()
            return bool(await super().force_commit(topics, start_new_transaction))

    async def _drain_table_writes(self) -> None:
        """Table writes are buffered (send_soon) and sent by a background task; they must be
        in the transaction that commits the offsets of the events that made them, and none may
        reach a producer while it commits (aiokafka refuses sends then). faust's own
        buffer.flush() gives up after 0.1 s, so drain here, then wait for the task's send."""
        buffer: Any = self.app.producer.buffer  # faust's ProducerBuffer; its internals
        while True:
            while buffer.size:
                await buffer._send_pending(buffer.pending.get_nowait())
                buffer.message_sent.set()
            await gate.background_idle()
            if not buffer.size:
                return

    async def on_partitions_revoked(self, revoked: Set[TP]) -> None:
        gate.forget(revoked)
        guard.forget(revoked)
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Set[TP], generation_id: int = 0) -> None:
        # again: an event still in flight at revocation may have recorded a position since;
        # the new generation starts from the committed offsets only
        gate.forget(assigned)
        guard.forget(assigned)
        await super().on_partitions_assigned(assigned, generation_id)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        async for tp, message in fetch_loop.getmany(self, timeout, guard):
            yield tp, message

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        for tp, offset in partitions.items():
            guard.on_seek(tp, offset)
        await super().seek_wait(partitions)

    async def highwaters(self, *partitions: TP) -> Mapping[TP, int]:
        """Where table recovery stops reading a changelog partition.

        Under exactly-once faust asks aiokafka for the partition's last stable offset, which
        aiokafka only learns from a fetch; on a partition not fetched yet it answers None, and
        faust then "recovers" nothing — a worker taking a partition over (or restarting after
        a crash, streams/local_state.py) started with an empty table. A ListOffsets request
        under read_committed returns the last stable offset from the broker.
        """
        if not self.in_transaction:
            return await super().highwaters(*partitions)
        thread: Any = self._thread  # faust's consumer thread: its client lives on that loop
        ends = await thread.call_thread(thread._ensure_consumer().end_offsets, list(partitions))
        return dict(ends)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        for tp, offset in committed.items():
            guard.on_seek(tp, offset)
            guard.on_committed(tp, offset)
        return committed

    def _new_offset(self, tp: TP) -> int | None:
        """One past the last event a handler finished (module docstring), under both guarantees.

        faust's own rule (the end of the first run of consecutive acked offsets, holes filled
        from gaps it noticed while fetching) lags badly on transactional input: every commit
        marker is a hole, it misses many of them, and each commit advances one run only. The
        committed offsets then trail the outputs already committed, and a restart processes
        those events again. Here each topic has one agent that processes in order, and the
        gate guarantees no event is in flight, so everything below that position is done.
        """
        # faust's ack bookkeeping only tells which partitions have news; it is reset here so
        # it cannot grow, and never used for the position.
        self._acked[tp].clear()
        self._acked_index[tp].clear()
        self._gap[tp].clear()
        position = gate.take_position(tp)
        committed = self._committed_offset[tp]
        if position is None or (committed is not None and position <= committed):
            return None
        return position


class GatedProducer(aiokafka_driver.Producer):
    """Counts the buffer task's sends so a commit can wait for them."""

    async def on_start(self) -> None:
        buffer: Any = self.buffer
        send = buffer._send_pending

        async def tracked(fut: Any) -> None:
            async with gate.background_send():
                await send(fut)

        # before super().on_start() starts the buffer task, which binds _send_pending
        buffer._send_pending = tracked
        await super().on_start()


class Transport(aiokafka_driver.Transport):
    Consumer = GatedConsumer
    Producer = GatedProducer
    TransactionManager = EventTransactions


class App(faust.App):
    """faust.App on the transport above; identical under at_least_once."""

    async def on_first_start(self) -> None:
        await super().on_first_start()
        if self.in_transaction:  # before any table store is opened (streams/local_state.py)
            local_state.discard_if_unclean(self.conf.tabledir)

    def _new_transport(self) -> TransportT:
        return Transport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return Transport(self.conf.broker_producer, self)
