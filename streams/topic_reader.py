"""Reading topics to their end with confluent-kafka: where each partition ends, every committed
record up to there, and where a consumer group stands. Used by the operator views and commands
(dead letters, shadow diff, replay), the hanging-transaction check, table recovery (where a
changelog's last record is), the benchmarks and the tests' oracle.

"The end" of a partition under read_committed is its last stable offset at the time of the
call: records of a transaction still open are not waited for. The client's position moves past
transaction markers, which are never returned as records, so a partition is read to its end
when the position reaches the end, not when a record at `end - 1` arrives (there may be none).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

from streams.errors import SyncError
from streams.settings import Settings

Partition = tuple[str, int]
REQUEST_TIMEOUT_S = 10.0


class IncompleteReadError(SyncError):
    """Partitions that could not be read to their end in time."""

    def __init__(self, left: Iterable[Partition], timeout_s: float) -> None:
        self.left = sorted(left)
        shown = ", ".join(f"{t}[{p}]" for t, p in self.left[:8])
        super().__init__(f"could not read {shown} to their end in {timeout_s:.0f} s")


def partitions_of(admin: AdminClient, topics: Iterable[str]) -> list[Partition]:
    """Every partition of the `topics` that exist."""
    metadata = admin.list_topics(timeout=REQUEST_TIMEOUT_S).topics
    return sorted((t, p) for t in set(topics) if t in metadata for p in metadata[t].partitions)


def end_offsets(
    admin: AdminClient, partitions: Iterable[Partition], *, committed: bool = True
) -> dict[Partition, int]:
    """Each partition's last stable offset (`committed`) or high watermark."""
    level = IsolationLevel.READ_COMMITTED if committed else IsolationLevel.READ_UNCOMMITTED
    return list_offsets(admin, partitions, OffsetSpec.latest, level)


def start_offsets(admin: AdminClient, partitions: Iterable[Partition]) -> dict[Partition, int]:
    """Each partition's log start offset (its first record still kept)."""
    return list_offsets(admin, partitions, OffsetSpec.earliest, IsolationLevel.READ_UNCOMMITTED)


def group_offsets(
    admin: AdminClient, group: str, partitions: Iterable[Partition]
) -> dict[Partition, int | None]:
    """The offset `group` has committed on each partition; None where it has committed none."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(t, p) for t, p in partitions])
    futures = admin.list_consumer_group_offsets([request], request_timeout=REQUEST_TIMEOUT_S)
    return {
        (tp.topic, tp.partition): tp.offset if tp.offset >= 0 else None
        for tp in futures[group].result().topic_partitions
    }


def list_offsets(
    admin: AdminClient,
    partitions: Iterable[Partition],
    spec: Callable[[], OffsetSpec],
    level: IsolationLevel,
) -> dict[Partition, int]:
    """ListOffsets, asked again while Kafka answers with a retriable error (a topic created a
    moment ago has no partition leader yet) for up to REQUEST_TIMEOUT_S."""
    tps = [TopicPartition(t, p) for t, p in partitions]
    if not tps:
        return {}
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    while True:
        futures = admin.list_offsets(
            {tp: spec() for tp in tps}, isolation_level=level, request_timeout=REQUEST_TIMEOUT_S
        )
        try:
            return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}
        except KafkaException as exc:
            if not _passing(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# a partition between leaders: a new topic's, or one whose broker just restarted
_PASSING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


def _passing(exc: KafkaException) -> bool:
    """Worth asking again: the error says so, or it is a partition without a leader yet."""
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and (error.retriable() or error.code() in _PASSING)


def read_to_end(
    settings: Settings,
    starts: Mapping[Partition, int],
    *,
    timeout_s: float,
    per_record: bool = False,
) -> Iterator[Any]:
    """Every committed record of each partition from its start up to its end at the time of
    the call, in each partition's order (a start before the log start reads from there).
    `timeout_s` bounds the whole read, or the wait for the next record with `per_record`; past
    it, IncompleteReadError."""
    config = settings.kafka_client_config()
    admin = AdminClient(config)
    ends = end_offsets(admin, starts)
    firsts = start_offsets(admin, starts)
    starts = {tp: max(offset, firsts[tp]) for tp, offset in starts.items()}
    group = f"{settings.app_id}-reader-{uuid.uuid4().hex[:8]}"
    yield from _read(config, group, starts, ends, timeout_s=timeout_s, per_record=per_record)


def last_record_ends(
    config: Mapping[str, Any], ends: Mapping[Partition, int], *, timeout_s: float = 30.0
) -> dict[Partition, int]:
    """One past each partition's last committed record before `ends` (last stable offsets);
    0 where no committed record is left.

    A partition written in transactions ends with a commit marker, which is never returned as
    a record: reading it "to its end" by records never gets there. The tail is read backwards in
    growing windows until a record shows up (usually in the first: a transaction's marker
    follows its records)."""
    admin = AdminClient(dict(config))
    firsts = start_offsets(admin, ends)
    found = {tp: 0 for tp, end in ends.items() if end <= firsts[tp]}
    window = 64
    while len(found) < len(ends):
        todo = {tp: end for tp, end in ends.items() if tp not in found}
        starts = {tp: max(firsts[tp], end - window) for tp, end in todo.items()}
        last: dict[Partition, int] = {}
        group = f"recovery-end-{uuid.uuid4().hex[:8]}"  # never commits
        for msg in _read(config, group, starts, todo, timeout_s=timeout_s):
            tp = (msg.topic(), msg.partition())
            if msg.offset() < todo[tp]:  # not what was committed after `ends` were taken
                last[tp] = msg.offset()
        for tp in todo:
            if tp in last:
                found[tp] = last[tp] + 1
            elif starts[tp] == firsts[tp]:
                found[tp] = 0  # only markers and aborted records are left
        window *= 16
    return found


def read_range(
    config: Mapping[str, Any],
    starts: Mapping[Partition, int],
    ends: Mapping[Partition, int],
    *,
    timeout_s: float,
) -> Iterator[Any]:
    """Every committed record of each partition from `starts` up to `ends` (and possibly a few
    past them, which the caller filters), in each partition's order; the consumer is closed
    when the iteration ends or is abandoned. Past `timeout_s`, IncompleteReadError. Polls in
    short waits: a worker's start waits for the end of the read."""
    group = f"range-{uuid.uuid4().hex[:8]}"  # never commits
    yield from _read(config, group, starts, ends, timeout_s=timeout_s, poll=(5000, 0.02))


def _read(
    config: Mapping[str, Any],
    group: str,
    starts: Mapping[Partition, int],
    ends: Mapping[Partition, int],
    *,
    timeout_s: float,
    per_record: bool = False,
    poll: tuple[int, float] = (500, 0.5),  # records and seconds per consume call
) -> Iterator[Any]:
    left = {tp for tp, end in ends.items() if end > starts[tp]}
    if not left:
        return
    consumer = Consumer(
        {
            **config,
            "group.id": group,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        consumer.assign([TopicPartition(t, p, starts[(t, p)]) for t, p in sorted(left)])
        deadline = time.monotonic() + timeout_s
        while left and time.monotonic() < deadline:
            for msg in consumer.consume(*poll):
                if not msg.error():
                    if per_record:
                        deadline = time.monotonic() + timeout_s
                    yield msg
            positions = consumer.position([TopicPartition(t, p) for t, p in left])
            left -= {
                (tp.topic, tp.partition)
                for tp in positions
                if tp.offset >= ends[tp.topic, tp.partition]
            }
        if left:
            raise IncompleteReadError(left, timeout_s)
    finally:
        consumer.close()
