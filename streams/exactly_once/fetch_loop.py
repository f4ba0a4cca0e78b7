"""faust's `Consumer.getmany`, without losing records it does not deliver.

faust-streaming 0.15 hands a fetched batch on record by record, and stops half-way when flow
control is suspended or the consumer generation changes; it also skips records of partitions
that are not active at that moment. The client's position is already past all of them, so they
are gone — for stream partitions until some later seek, for table changelogs during recovery for
good: recovery then ends early ("Aborted tx until highwater") with part of a table missing, and
the hub treats synced customers as prospects. A crash test hit both.

Here every partition with records left over is sought back to its first record not handed on,
which also lets that record through faust's `_read_offset` filter (`seek_wait`). When the
consumer generation changed, the rebalance that follows seeks every partition itself.

Every fetched batch is also shown to the offset guard (offset_guard.py) before anything
is handed on: the offsets the client skipped are the real holes, and a batch fetched again at
the guard's request is let through `_read_offset`.

A batch of a partition sought while it was fetched may continue from before the seek
(seeks.py): it is dropped, and the partition sought again to the same place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from faust.types import TP

from streams.exactly_once.offset_guard import OffsetGuard
from streams.exactly_once.seeks import Seeks


async def getmany(
    consumer: Any,
    timeout: float,
    guard: OffsetGuard,
    seeks: Seeks[TP],
    in_hand: set[TP] | None = None,
) -> AsyncIterator[tuple[TP, Any]]:
    """`consumer` is faust's Consumer (its private fetch state is what this replaces).

    `in_hand` holds the partitions of the batch being handed on: the client's position is past
    records of theirs that their readers have not seen yet.
    """
    in_hand = set() if in_hand is None else in_hand
    before = seeks.snapshot()
    records, active_partitions = await consumer._wait_next_records(timeout)
    generation_id = consumer.app.consumer_generation_id
    if records is None or consumer.should_stop:
        return
    stale = [tp for tp in records if not seeks.current(tp, before)]
    if stale:
        records = {tp: batch for tp, batch in records.items() if tp not in stale}
        again = {tp: seeks.target(tp) for tp in stale if tp in consumer.assignment()}
        await consumer.seek_wait({tp: o for tp, o in again.items() if o is not None})
    for tp, batch in records.items():
        guard.on_fetched(tp, (record.offset for record in batch))
        refetch = guard.take_refetch(tp)
        if refetch is not None:
            # faust drops records below the highest offset it ever delivered; these are the
            # ones it lost, asked for again
            consumer._read_offset[tp] = refetch
    left_over: dict[TP, int] = {}  # partition → first offset not handed on
    in_hand.update(records)
    try:
        for tp, record in consumer.scheduler.iterate(records):
            if tp in left_over:
                continue  # in order: nothing after a record held back
            deliverable = (
                consumer.flow_active
                and consumer.app.consumer_generation_id == generation_id
                and (
                    active_partitions is None
                    or tp in active_partitions
                    or tp in consumer._buffered_partitions
                )
            )
            if not deliverable:
                left_over[tp] = record.offset
                continue
            consumer.app.monitor.track_tp_end_offset(tp, consumer.highwater(tp))
            yield tp, consumer._to_message(tp, record)
    finally:
        in_hand.difference_update(records)
    if left_over and consumer.app.consumer_generation_id == generation_id:
        assigned = consumer.assignment()
        await consumer.seek_wait({tp: o for tp, o in left_over.items() if tp in assigned})
