"""Table recovery reads the changelogs with librdkafka before faust does (Kafka Streams' restore
consumer).

faust's recovery hands every changelog record through its consumer thread, its conductor and an
asyncio queue one by one, and waits for the next fetch only once a partition's buffer is
empty: about 5,600 records/s here, a minute for 100,000 customers (bench/RESULTS.md), paid at
every start on an empty store and every time a partition moves to a worker that lacks it.

`BulkRecovery` extends faust's `Recovery._build_offsets` for the active partitions. At that
point faust knows where each changelog partition's reading starts (the store's persisted offset)
and ends (the highwaters it has just built: one before the end of the last committed record,
consumer.py's `highwaters`). The records in between are read by a confluent-kafka consumer
(read_committed) in a thread and written to the table's RocksDB in write batches, each with the
offset of its last record — the key and format faust's `apply_changelog_batch` and
committed_store.py write, so a crash in the middle leaves a store that is exact up to its
persisted offset. faust's recovery then starts from where the restore reached and finds nothing
left to read, or only what the restore had no time for.

Bounded and interruptible:

- a time budget (RESTORE_SHARE of `broker_request_timeout`): faust's recovery waits for
  `_build_offsets` at most that long, and past it gives up the whole recovery service, so the
  restore stops well before and leaves the rest to faust's own path;
- a new rebalance (faust cancels the step) or the worker's stop tells the thread to stop at the
  next record; it writes what it has read, consistent with its offset, and ends. The next
  restore waits for it first, so two never write one store.

Standby partitions are left to faust: they are read in the background once the worker is ready.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from faust.tables.recovery import Recovery
from faust.types import TP, ConsumerT

from streams import topic_reader

log = logging.getLogger(__name__)

Partition = tuple[str, int]
Writes = list[tuple[bytes, bytes | None]]
Sink = Callable[[Partition, Writes, int], None]  # (partition, writes, last offset) → stored

RESTORE_SHARE = 0.5  # of broker_request_timeout: the restore's budget
BATCH_RECORDS = 20_000  # records per write batch, all partitions together
STOP_WAIT_S = 30.0  # how long the worker's stop waits for a restore to write its last batch


@runtime_checkable
class RestorableStore(Protocol):
    """What a table's store offers the restore (committed_store.CommittedStore)."""

    def open_partition(self, partition: int) -> None: ...

    def write_restored(
        self, partition: int, writes: Iterable[tuple[bytes, bytes | None]], offset: int
    ) -> None: ...


def read_into(
    config: Mapping[str, Any],
    ranges: Mapping[Partition, tuple[int, int]],
    sink: Sink,
    *,
    budget_s: float,
    stop: threading.Event,
) -> dict[Partition, int]:
    """Every committed record of each partition in [start, end) handed to `sink` in batches,
    each with the offset of its last record; the offset each partition reached. Stops at the
    ends, at `budget_s` or when `stop` is set, after writing what it has read. Runs in a thread."""
    starts = {tp: start for tp, (start, _) in ranges.items()}
    ends = {tp: end for tp, (_, end) in ranges.items()}
    reached: dict[Partition, int] = {}
    writes: dict[Partition, Writes] = {}
    count = 0

    def flush() -> None:
        for tp, batch in writes.items():
            sink(tp, batch, reached[tp])
        writes.clear()

    try:
        for msg in topic_reader.read_range(config, starts, ends, timeout_s=budget_s):
            tp = (msg.topic(), msg.partition())
            offset = msg.offset()
            if offset >= ends[tp]:
                continue  # committed after the end was taken: faust's to read
            writes.setdefault(tp, []).append((msg.key(), msg.value()))
            reached[tp] = offset
            count += 1
            if count % BATCH_RECORDS == 0:
                flush()
            if stop.is_set():
                break
    except topic_reader.IncompleteReadError:
        pass  # out of time: what was read is written, the rest is faust's
    flush()
    return reached


class Restorer:
    """Runs `read` (`read_into`) in a thread, one at a time; `stop` interrupts it."""

    def __init__(self, read: Callable[..., dict[Partition, int]] = read_into) -> None:
        self._read = read
        self._closed = False
        self._stop = threading.Event()
        self._running: asyncio.Future[dict[Partition, int]] | None = None

    async def run(
        self,
        config: Mapping[str, Any],
        ranges: Mapping[Partition, tuple[int, int]],
        sink: Sink,
        *,
        budget_s: float,
    ) -> dict[Partition, int]:
        await self.stop()  # an interrupted restore writes its last batch first
        if self._closed:
            return {}
        self._stop = stop = threading.Event()
        loop = asyncio.get_running_loop()
        self._running = running = loop.run_in_executor(
            None, lambda: self._read(config, ranges, sink, budget_s=budget_s, stop=stop)
        )
        try:
            return await asyncio.shield(running)
        finally:
            stop.set()  # cancelled (a new rebalance, the worker stopping): the thread stops

    async def stop(self, timeout_s: float | None = None) -> None:
        """Interrupt the restore under way, if any, and wait until it has stopped writing."""
        running = self._running
        if running is None or running.done():
            return
        self._stop.set()
        await asyncio.wait([running], timeout=timeout_s)

    async def close(self, timeout_s: float | None = None) -> None:
        """The worker stops: interrupt the restore under way and start no other."""
        self._closed = True
        await self.stop(timeout_s)


class BulkRecovery(Recovery):
    """faust's Recovery; the active changelog partitions are read by `Restorer` first.

    Extends `_build_offsets` and `on_stop` (faust/tables/recovery.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.restorer = Restorer()

    async def _build_offsets(
        self, consumer: ConsumerT, tps: set[TP], destination: Any, title: str
    ) -> None:
        await super()._build_offsets(consumer, tps, destination, title)
        config = getattr(getattr(self.app, "eos", None), "admin_config", None)
        if title != "active" or config is None:
            return
        # faust's offsets are of the last record applied, its highwaters of the last to apply
        ranges: dict[TP, tuple[int, int]] = {}
        stores: dict[TP, RestorableStore] = {}
        for tp in tps:
            store = getattr(self.tp_to_table[tp], "data", None)
            start, end = destination[tp] + 1, self.active_highwaters[tp] + 1
            if isinstance(store, RestorableStore) and end > start:
                store.open_partition(tp.partition)  # on the loop, before the thread writes
                ranges[tp] = (start, end)
                stores[tp] = store
        if not ranges:
            return
        by_name = {(tp.topic, tp.partition): tp for tp in ranges}
        written = [0]

        def sink(partition: Partition, writes: Writes, offset: int) -> None:
            stores[by_name[partition]].write_restored(partition[1], writes, offset)
            written[0] += len(writes)

        began = time.monotonic()
        budget_s = RESTORE_SHARE * float(self.app.conf.broker_request_timeout)
        reached = await self.restorer.run(
            config(),
            {(tp.topic, tp.partition): span for tp, span in ranges.items()},
            sink,
            budget_s=budget_s,
        )
        for name, offset in reached.items():
            destination[by_name[name]] = offset
        left = sum(1 for tp, (_, end) in ranges.items() if destination[tp] + 1 < end)
        log.info(
            "Restored %d records of %d changelog partitions in %.1f s (librdkafka); "
            "%d partitions left to faust's recovery",
            written[0],
            len(ranges),
            time.monotonic() - began,
            left,
        )

    async def on_stop(self) -> None:
        await self.restorer.close(STOP_WAIT_S)
        await super().on_stop()
