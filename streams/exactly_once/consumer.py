"""faust's aiokafka Consumer with commits through the gate, rebalances committed before the
partitions are given up, and the fixes to fetching and table recovery (faust-streaming 0.15.3).

Replaced faust methods (faust/transport/consumer.py, faust/transport/drivers/aiokafka.py):
`force_commit`, `_new_offset`, `_filter_tps_with_pending_acks`, `getmany`, `seek_wait`,
`seek_to_committed`, `_seek`, `position`, `highwaters`, `on_partitions_revoked`,
`on_partitions_assigned`, `_commit_handler`; each override says what it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Set
from typing import Any

from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP
from mode import Service

from streams import topic_reader
from streams.errors import SyncError
from streams.exactly_once import fetch_loop
from streams.exactly_once.transactions import EventTransactions, note_committed, runtime

log = logging.getLogger(__name__)

# how often a commit waiting for the buffered table writes checks that faust's task still sends
DRAIN_CHECK_S = 1.0

# under exactly-once, how soon after the last commit a worker with nothing left to handle
# commits again (`_commit_handler`)
QUIET_COMMIT_GAP_S = 0.02


class TableWritesError(SyncError):
    """Buffered table writes that no task will send: the commit that needs them cannot be."""


def commit_due(since_s: float, interval_s: float, quiet: Callable[[], bool]) -> bool:
    """A commit is due `since_s` after the last one: at the end of the interval, or sooner
    when the worker is quiet (asked only then)."""
    return since_s >= interval_s or (since_s >= QUIET_COMMIT_GAP_S and quiet())


class GatedConsumer(aiokafka_driver.Consumer):
    @Service.task
    async def _commit_handler(self) -> None:
        """Replaces faust's commit timer (a commit every `commit_interval`): under
        exactly-once it also commits as soon as the worker has nothing left to handle, once
        QUIET_COMMIT_GAP_S has passed since the last commit.

        What an agent sends is visible to the next hop only when its transaction commits, and
        the next hop's events, fetched right after a commit, send theirs just after it: each
        transactional hop waited one whole commit interval (about 110 ms of each hop, three
        hops per command). A worker that keeps up is quiet most of the time, so its records
        now wait milliseconds; a busy one is never quiet and commits on the interval as
        before. When a commit happens is all this changes: what it carries is decided by the
        gate, as for any commit."""
        interval = self.commit_interval
        await self.sleep(interval)
        rt = runtime(self.app)
        eager = bool(self.in_transaction)
        last = time.monotonic()
        while not self.should_stop:
            since = time.monotonic() - last
            await self.sleep(min(QUIET_COMMIT_GAP_S, interval - since) if eager else interval)
            since = time.monotonic() - last
            if commit_due(since, interval, lambda: eager and rt.quiet()):
                await self.commit()
                last = time.monotonic()

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        rt = runtime(self.app)
        if rt.failure is not None:
            return False  # the worker is stopping; what is open is aborted, never committed
        if not self.in_transaction:
            # at-least-once: faust flushes the producer but gives up on its table-write buffer
            # after 0.1 s; an offset committed before its event's changelog record is sent
            # leaves another worker that takes the partition over with older state
            if not await self._drained(rt):
                return False
            return bool(await super().force_commit(topics, start_new_transaction))
        async with rt.gate.committing():
            if not await self._drained(rt):
                return False
            return bool(await super().force_commit(topics, start_new_transaction))

    async def _drained(self, rt: Any) -> bool:
        try:
            await self._drain_table_writes()
        except TableWritesError as exc:
            await rt.fail(exc, "commit")
            return False
        return True

    async def _drain_table_writes(self) -> None:
        """Table writes are buffered (send_soon) and sent by faust's buffer task, one after
        another; they must all be in the transaction that commits the offsets of the events
        that made them, and none may reach a producer while it commits (aiokafka refuses sends
        then). So a commit waits until that task has sent them (faust's own buffer.flush()
        gives up after 0.1 s).

        It never sends one itself while the task runs. Each send yields to the event loop
        before it reaches the producer (faust's Topic.publish_message asks
        App.maybe_start_producer, whose mode `stampede` sleeps), so two senders reorder a key's
        writes. The task's older value then landed in the changelog after the commit's newer
        one (0.5 % of the table writes of a catch-up), and a table rebuilt from its changelog
        (another worker taking the partition over, an empty store) held the older state. Only
        a buffer whose task has stopped is drained here, after its last send."""
        rt = runtime(self.app)
        buffer: Any = self.app.producer.buffer  # faust's ProducerBuffer; its internals
        while True:
            while buffer.size:
                rt.kill_point("commit.table_drain")
                if buffer.crashed:
                    raise TableWritesError(f"{buffer.size} table writes left by a crashed buffer")
                if buffer.should_stop:  # the worker is stopping: its task sends no more
                    await rt.gate.background_idle()
                    await buffer._send_pending(buffer.pending.get_nowait())
                    buffer.message_sent.set()
                    continue
                buffer.message_sent.clear()  # set by the task after each send
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(buffer.message_sent.wait(), DRAIN_CHECK_S)
            await rt.gate.background_idle()
            if not buffer.size:
                return

    async def on_partitions_revoked(self, revoked: Set[TP]) -> None:
        """Kafka Streams' revoke: everything processed so far is committed before a partition
        is given up — faust's own revoke handling commits what its acks allow; what is left
        (positions faust skipped) is committed here, and no transaction is begun until the new
        assignment. A partition this worker keeps then starts clean, and one that moves leaves
        nothing open behind. Under eager rebalancing every partition is revoked each time."""
        rt = runtime(self.app)
        await super().on_partitions_revoked(revoked)
        rt.kill_point("revoke")
        if rt.failure is None:
            async with rt.gate.committing():
                if self.in_transaction:
                    transactions: EventTransactions = self.transactions  # type: ignore[assignment]
                    try:
                        await self._drain_table_writes()
                        await transactions.end_all(rt.gate.pending())
                        # each assigned partition's producer starts anew (InitProducerId): one
                        # fenced while this worker stalled is not used again
                        await self.app.producer.stop_all_transactions()  # type: ignore[attr-defined]
                    except Exception as exc:  # noqa: BLE001 - infrastructure: stop the worker
                        await rt.fail(exc, "revoke")
                rt.gate.suspend()  # until the new assignment is in place
        rt.gate.forget()
        rt.guard.forget(revoked)

    async def on_partitions_assigned(self, assigned: Set[TP], generation_id: int = 0) -> None:
        rt = runtime(self.app)
        # an event still in flight at revocation may have recorded a position since; the new
        # generation starts from the committed offsets only
        rt.gate.forget()
        rt.guard.forget(assigned)
        await super().on_partitions_assigned(assigned, generation_id)
        if self.in_transaction:
            note_committed(self, assigned)  # faust's livelock check counts from here
        rt.gate.resume()

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        """faust lists the partitions with acks; the ones to commit are those with a position."""
        for tp in rt_positions(self):
            if topics is None or tp in topics or tp.topic in topics:
                yield tp

    def _new_offset(self, tp: TP) -> int | None:
        """One past the last event a handler finished (streams/exactly_once/gate.py), under both
        guarantees.

        faust's own rule (the end of the first run of consecutive acked offsets, holes filled
        from gaps it noticed while fetching) lags badly on transactional input, and it counts
        events faust acked without processing them (older consumer generation, flow control
        suspended). faust's ack bookkeeping is reset here so it cannot grow.
        """
        self._acked[tp].clear()
        self._acked_index[tp].clear()
        self._gap[tp].clear()
        position = runtime(self.app).gate.position(tp)
        committed = self._committed_offset[tp]
        if position is None or (committed is not None and position <= committed):
            return None
        return position

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        rt = runtime(self.app)
        async for tp, message in fetch_loop.getmany(self, timeout, rt.guard, rt.seeks, rt.in_hand):
            yield tp, message

    async def position(self, tp: TP) -> int | None:
        """The client's position, as faust's table recovery asks for it: when a changelog has
        given nothing for 10 s, recovery takes a position at or past its highwater to mean the
        rest was aborted transactions, and marks the partition read to the highwater.

        That holds only if every record the client returned before that position has been
        applied. Answered -1 (not past anything; recovery asks again 5 s later) while records
        of the client's are still on their way to the changelog queue or in it, or when `tp` was
        sought while the question was under way — a rebalance starts a new recovery that seeks,
        and faust's check, still iterating the old highwaters, would otherwise mark a partition
        read that the new recovery has not read (replaces `ThreadDelegateConsumer.position`).
        """
        rt = runtime(self.app)
        before = rt.seeks.snapshot()
        position = await super().position(tp)
        tables: Any = self.app.tables  # faust's TableManager
        settled = rt.seeks.current(tp, before) and tp not in rt.in_hand
        return position if settled and tables.changelog_queue.empty() else -1

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        """faust's seek, logged before and after (seeks.py) and shown to the offset guard."""
        rt = runtime(self.app)
        rt.seeks.begin(partitions)
        try:
            for tp, offset in partitions.items():
                rt.guard.on_seek(tp, offset)
            await super().seek_wait(partitions)
        finally:
            rt.seeks.end(partitions)

    async def _seek(self, partition: TP, offset: int) -> None:
        """faust's `Consumer.seek` path (it calls aiokafka's seek from this thread); logged."""
        seeks = runtime(self.app).seeks
        seeks.begin({partition: offset})
        try:
            await super()._seek(partition, offset)
        finally:
            seeks.end([partition])

    async def highwaters(self, *partitions: TP) -> Mapping[TP, int]:
        """Where table recovery stops reading a changelog partition: faust takes `highwater -
        1` as the offset of the last record to apply (recovery.py `_build_highwaters`).

        Under exactly-once a changelog ends with a transaction marker, which is never returned
        as a record: faust's recovery waited 10 s for it and then took the client's position as
        proof that the rest was aborted ("Aborted tx until highwater") — ten seconds of every
        start and every rebalance. Here the answer is one past the last committed record
        (topic_reader.last_record_ends), so recovery ends the moment that record is applied;
        the 10 s path (`position` below) stays for what is committed meanwhile.

        The end offsets come from a ListOffsets request under read_committed: aiokafka's own
        answer, the last stable offset it learns from a fetch, is None on a partition not
        fetched yet, and faust then "recovers" nothing.
        """
        rt = runtime(self.app)
        rt.kill_point("recovery")
        if not self.in_transaction:
            return await super().highwaters(*partitions)
        thread: Any = self._thread  # faust's consumer thread: its client lives on that loop
        ends = await thread.call_thread(thread._ensure_consumer().end_offsets, list(partitions))
        if rt.admin_config is None or not ends:
            return dict(ends)
        lasts = await asyncio.to_thread(
            topic_reader.last_record_ends,
            rt.admin_config(),
            {(tp.topic, tp.partition): end for tp, end in ends.items()},
        )
        return {tp: lasts[(tp.topic, tp.partition)] for tp in ends}

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Replaces faust's seek of every assigned partition to its committed offset (each new
        assignment), which also tells the offset guard where each partition starts.

        aiokafka's version seeks only partitions whose committed offset is above 0: a partition
        kept across a rebalance with nothing committed yet (or 0) went on from where the client
        stood, past records fetched under the old assignment and never processed. Here the
        partitions of the topics agents read are all sought: to the committed offset, or to the
        start of the log when nothing is committed (faust's `consumer_auto_offset_reset`,
        earliest). Changelog partitions have no committed offset and are left to recovery, as
        before. Every seek goes through `seek_wait` (seeks.py).
        """
        guard = runtime(self.app).guard
        thread: Any = self._thread  # faust's consumer thread: its client lives on that loop
        client = thread._ensure_consumer()
        assigned = sorted(client.assignment())
        committed: dict[TP, int | None] = await thread.call_thread(
            _committed_offsets, client, assigned
        )
        unset = [tp for tp in assigned if not committed[tp] and guard.watches(tp)]
        starts = await thread.call_thread(client.beginning_offsets, unset) if unset else {}
        to = {
            tp: offset if offset else max(offset or 0, starts[tp])
            for tp, offset in committed.items()
            if offset or tp in starts
        }
        if to:
            await self.seek_wait(to)
        for tp, offset in to.items():
            if guard.watches(tp):
                guard.start(tp, offset)
        return committed  # type: ignore[return-value]  # faust's own type omits None


async def _committed_offsets(client: Any, tps: list[TP]) -> dict[TP, int | None]:
    """Runs on the consumer thread: aiokafka's `committed` for each partition."""
    return {tp: await client.committed(tp) for tp in tps}


def rt_positions(consumer: Any) -> list[TP]:
    return list(runtime(consumer.app).gate.pending())
