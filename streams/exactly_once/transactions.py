"""Kafka transactions as Kafka Streams runs them (EOS v1), replacing faust-streaming 0.15.3's.

One transactional producer per partition number (`{app id}-{topic group}-{partition}`): the
worker that owns partition p of every co-partitioned topic owns that producer, and a new owner's
InitProducerId fences the old one and aborts whatever it left open. faust has the right ids but
gets four things wrong, each replaced here:

1. **Which transaction a send joins.** faust picks it from the partition the record is sent *to*;
   a record sent to `hub-events[3]` then waits in transaction "…-3" for some event of partition 3
   to commit it (the stall of faust-streaming issues #136, #323, #517), and an event's outputs and
   its offset land in different transactions. Here a send joins the transaction of the event
   being processed, as in Kafka Streams. Table changelog writes keep faust's choice (their
   partition is their event's partition, by faust's table design), so a buffer flush that
   happens to run inside another event's task cannot carry them into the wrong transaction.
2. **Errors.** faust's begin/commit/abort log and swallow every error (a fenced producer, a
   commit "for unknown transaction"), so a zombie goes on as if it had committed. Here every
   failure raises, and the caller stops the worker without committing (`Runtime.fail`).
3. **Flush.** aiokafka's commit_transaction does not flush (Java's does): a record still in the
   accumulator at EndTxn lands in the *next* transaction. Each transaction is flushed first.
4. **Stop.** faust stops a revoked partition's producer without ending its transaction, which
   blocks every read_committed reader of the partitions it touched until the transaction times
   out. Here an open transaction is aborted first (normally there is none: a revoke commits).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import faust
from faust.transport.consumer import TransactionManager
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, AppT, HeadersArg, RecordMetadata

from streams.errors import SyncError
from streams.exactly_once import committed_store

if TYPE_CHECKING:
    from streams.exactly_once.runtime import Runtime

log = logging.getLogger(__name__)

ABORT_TIMEOUT_S = 10.0


class TransactionError(SyncError):
    """A transaction could not be begun, committed or aborted: an infrastructure failure."""


def note_committed(consumer: Any, tps: Iterable[TP]) -> None:
    """Tells faust's commit-livelock detector (`AIOKafkaConsumerThread.verify_event_path`,
    every 2.5 commit intervals) that `tps` stand committed as of now: committed in a
    transaction, or just assigned (their committed offset is where they start).

    The detector reads the time from `tp_last_committed_at`, which only faust's own offset
    commit sets; offsets committed in a transaction never reached it, so a worker catching up
    for longer than `broker_commit_livelock_soft_timeout` (5 min) logged "Has not committed …
    at all since worker start" as an ERROR for every partition with a lag, four times a second
    (26,452 lines in the first 11 minutes of a 1M-event catch-up), and a real stall looked the
    same as a healthy worker."""
    thread = consumer._thread  # faust's AIOKafkaConsumerThread
    now = time.monotonic()  # the clock faust compares it with
    thread.tp_last_committed_at.update(dict.fromkeys(tps, now))


def runtime(app: AppT) -> Runtime:
    rt: Runtime = app.eos  # type: ignore[attr-defined]
    return rt


class StrictProducer(aiokafka_driver.Producer):
    """faust's aiokafka Producer whose transaction methods raise instead of logging.

    Replaces `begin_transaction`, `maybe_begin_transaction`, `commit_transactions`,
    `stop_transaction` (faust 0.15.3, faust/transport/drivers/aiokafka.py), and extends `send`
    (a worker found frozen sends nothing more, freeze.py); reads `_transaction_producers` and
    `_trn_locks`, and aiokafka's `_txn_manager`.
    """

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
        freeze = runtime(self.app).freeze
        if freeze is not None:
            freeze.check()
        return await super().send(
            topic, key, value, partition, timestamp, headers, transactional_id=transactional_id
        )

    async def on_start(self) -> None:
        buffer: Any = self.buffer  # faust's ProducerBuffer
        send = buffer._send_pending
        gate = runtime(self.app).gate

        async def tracked(fut: Any) -> None:
            async with gate.background_send():  # a commit waits for table writes under way
                await send(fut)

        # before super().on_start() starts the buffer task, which binds _send_pending
        buffer._send_pending = tracked
        await super().on_start()

    def _lock(self, tid: str) -> asyncio.Lock:
        return self._trn_locks.setdefault(tid, asyncio.Lock())

    async def begin_transaction(self, transactional_id: str) -> None:
        """Start the producer (InitProducerId fences a previous owner) and begin a transaction,
        unless one is open already (a partition kept across a rebalance with nothing to end)."""
        tid = transactional_id
        try:
            producer = self._transaction_producers.get(tid)
            if producer is None:
                producer = self._new_producer(transactional_id=tid)
                await producer.start()
                self._transaction_producers[tid] = producer
            async with self._lock(tid):
                if not producer._txn_manager.is_in_transaction():
                    await producer.begin_transaction()
        except Exception as exc:
            raise TransactionError(f"begin transaction {tid}: {exc!r}") from exc

    async def maybe_begin_transaction(self, transactional_id: str) -> None:
        await self.begin_transaction(transactional_id)

    async def commit_transactions(
        self,
        tid_to_offset_map: Mapping[str, Mapping[TP, int]],
        group_id: str,
        start_new_transaction: bool = True,
    ) -> None:
        """Each producer's transaction is committed at the same time as the others' (faust
        commits one after another): they are independent transactions, and the gate is shut
        while they commit, so the agents wait for the slowest of them rather than for the
        sum (four producers: about 9 ms at median and 45 ms at p99 one after another). The
        first failure is raised once every commit has ended either way."""
        for tid in tid_to_offset_map:
            if tid not in self._transaction_producers:
                raise TransactionError(f"commit {tid}: no producer (the partition is not ours)")
        results = await asyncio.gather(
            *(
                self._commit_one(tid, offsets, group_id, start_new_transaction)
                for tid, offsets in tid_to_offset_map.items()
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _commit_one(
        self, tid: str, offsets: Mapping[TP, int], group_id: str, start_new_transaction: bool
    ) -> None:
        producer = self._transaction_producers[tid]
        try:
            async with self._lock(tid):
                await producer.flush()
                if offsets:
                    await producer.send_offsets_to_transaction(offsets, group_id)
                runtime(self.app).kill_point("commit.after_flush")
                await producer.commit_transaction()
                if start_new_transaction:
                    await producer.begin_transaction()
        except Exception as exc:
            raise TransactionError(f"commit {tid}: {exc!r}") from exc

    def open_transactions(self) -> dict[str, bool]:
        """Transactional id → True when its open transaction holds records or offsets."""
        return {
            tid: not p._txn_manager.is_empty_transaction()
            for tid, p in self._transaction_producers.items()
            if p._txn_manager.is_in_transaction()
        }

    async def stop_transaction(self, transactional_id: str) -> None:
        producer = self._transaction_producers.pop(transactional_id, None)
        if producer is None:
            return
        if producer._txn_manager.is_in_transaction():
            if not producer._txn_manager.is_empty_transaction():
                log.warning("%s: aborting a transaction left open at revoke", transactional_id)
            await _abort(producer, transactional_id)
        await producer.stop()

    async def stop_all_transactions(self) -> None:
        for tid in list(self._transaction_producers):
            await self.stop_transaction(tid)

    async def abort_all(self) -> None:
        """Best effort, after a failure: end every open transaction so read_committed readers
        are not blocked until it times out (the next owner's InitProducerId also aborts it)."""
        for tid, producer in list(self._transaction_producers.items()):
            if producer._txn_manager.is_in_transaction():
                await _abort(producer, tid)


async def _abort(producer: Any, tid: str) -> None:
    try:
        await asyncio.wait_for(producer.abort_transaction(), ABORT_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - the next owner's InitProducerId aborts it anyway
        log.warning("%s: abort failed (%r); the next owner of the partition aborts it", tid, exc)


class EventTransactions(TransactionManager):
    """Sends join the transaction of the event being processed; commits raise on failure.

    Replaces faust's `TransactionManager.send` and `.commit`, and extends `.on_rebalance`.
    """

    _changelogs: frozenset[str] | None = None

    def _is_changelog(self, topic: str) -> bool:
        if self._changelogs is None:
            self._changelogs = frozenset(
                t.changelog_topic.get_topic_name() for t in self.app.tables.values()
            )
        return topic in self._changelogs

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
        if self._is_changelog(topic):
            return await super().send(topic, key, value, partition, timestamp, headers)
        if event is None:
            # a timer's send belongs to no event's transaction (and would be an orphan at the
            # next revoke): it goes out at once, idempotent but not transactional; whatever
            # such a send asks for must be safe to ask twice
            return await self.producer.send(topic, key, value, partition, timestamp, headers)
        tp = event.message.tp
        tid = transactional_id_for(self.app, tp)
        # None for a topic this worker does not consume (commands, DLQ): the producer's own
        # murmur2 partitioner places it, the same as every other producer (DESIGN §5.6).
        dest = self.consumer.key_partition(topic, key, partition)
        return await self.producer.send(
            topic, key, value, dest, timestamp, headers, transactional_id=tid
        )

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP]
    ) -> None:
        """faust's: stop the revoked partitions' producers and start the assigned ones' (their
        InitProducerId fences the previous owners). Then, before faust's table recovery reads a
        changelog and before any event of the new assignment is fetched, the check that nothing
        taken over hangs undecided (undecided.py). Run later, from the consumer's
        `on_partitions_assigned`, it overlapped the flow recovery resumes: events fetched while
        the check held the gate shut were skipped, and only the stall timer fetched them again,
        10-20 s later."""
        await super().on_rebalance(assigned, revoked, newly_assigned)
        rt = runtime(self.app)
        if rt.failure is None:
            await rt.check_undecided(assigned)

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        by_tid: defaultdict[str, dict[TP, int]] = defaultdict(dict)
        for tp, offset in offsets.items():
            by_tid[transactional_id_for(self.app, tp)][tp] = offset
        rt = runtime(self.app)
        try:
            await self.producer.commit_transactions(
                by_tid, self.app.conf.id, start_new_transaction=start_new_transaction
            )
        except Exception as exc:  # noqa: BLE001 - every commit failure stops the worker
            await rt.fail(exc, "commit")
            return False
        rt.gate.committed(offsets)
        # one transaction per partition number: what those events wrote to the tables is
        # committed now, and the local stores may keep it (committed_store.py)
        committed_store.committed(self.app, {tp.partition for tp in offsets})
        note_committed(self.consumer, offsets)
        return True

    async def end_all(self, positions: Mapping[TP, int]) -> None:
        """Revoke: commit the positions still pending, with their transactions; begin none.

        Any other transaction that holds records cannot be told apart from half an event: the
        worker stops (its tables hold those writes), and the transaction is aborted."""
        producer: StrictProducer = self.producer  # type: ignore[assignment]
        tids = {transactional_id_for(self.app, tp) for tp in positions}
        orphans = [t for t, busy in producer.open_transactions().items() if busy and t not in tids]
        if orphans:
            raise TransactionError(f"records in transactions with no event to commit: {orphans}")
        if positions:
            await self.commit(positions, start_new_transaction=False)


def transactional_id_for(app: AppT, tp: TP) -> str:
    # faust's format (TransactionManager.transactional_id_format), so the producers faust starts
    # and stops on a rebalance are these; one topic group for the whole app, as every topic has
    # the same partition count (streams/exactly_once/partitions.py checks it at start)
    return f"{app.conf.id}-{app.assignor.group_for_topic(tp.topic)}-{tp.partition}"
