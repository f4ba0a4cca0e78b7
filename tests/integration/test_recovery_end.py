"""Where table recovery stops reading a changelog (streams/topic_reader.py
`last_record_ends`): one past its last committed record, on a real broker — a partition written
in transactions ends with a marker, and aborted records after the last committed one are never
returned. And what the restore before faust's recovery reads (streams/exactly_once/restore.py)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streams import topic_reader
from streams.exactly_once import restore
from tests.integration.conftest import stack_env
from tests.integration.pipeline import app_settings

pytestmark = pytest.mark.integration


Records = list[tuple[bytes, bytes | None]]


def _topic(prefix: str, partitions: int) -> tuple[dict[str, Any], str, Producer]:
    """Client settings, a new topic and a transactional producer for it."""
    config = app_settings(stack_env(), prefix).kafka_client_config()
    topic = f"it-{prefix}-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(config)
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(15)
    producer = Producer({**config, "transactional.id": f"{topic}-tx"})
    producer.init_transactions(15)
    return config, topic, producer


def _transaction(
    producer: Producer, topic: str, records: Records, *, partition: int = 0, commit: bool = True
) -> None:
    producer.begin_transaction()
    for key, value in records:
        producer.produce(topic, key=key, value=value, partition=partition)
    producer.flush(10)
    if commit:
        producer.commit_transaction(10)
    else:
        producer.abort_transaction(10)


def _numbered(n: int) -> Records:
    return [(b"k", str(i).encode()) for i in range(n)]


def test_recovery_ends_at_the_last_committed_record_not_at_the_marker() -> None:
    config, topic, producer = _topic("recovery-end", 4)
    admin = AdminClient(config)
    _transaction(producer, topic, _numbered(2))  # offsets 0, 1; marker 2
    _transaction(producer, topic, _numbered(1), commit=False)  # offset 3 aborted; marker 4
    _transaction(producer, topic, _numbered(3), partition=1)  # 0-2; marker 3
    # a long aborted tail: 4-203; 204
    _transaction(producer, topic, _numbered(200), partition=1, commit=False)
    _transaction(producer, topic, _numbered(5), partition=2, commit=False)  # none committed
    parts = topic_reader.partitions_of(admin, [topic])
    ends = topic_reader.end_offsets(admin, parts)
    assert ends == {(topic, 0): 5, (topic, 1): 205, (topic, 2): 6, (topic, 3): 0}
    assert topic_reader.last_record_ends(config, ends) == {
        (topic, 0): 2,
        (topic, 1): 3,
        (topic, 2): 0,
        (topic, 3): 0,
    }


def test_the_restore_writes_exactly_the_committed_records_of_each_range() -> None:
    """restore.py's read (a changelog's committed records between faust's start and end, handed
    on in batches each with the offset of its last record)."""
    config, topic, producer = _topic("restore", 2)
    _transaction(producer, topic, [(b"a", b"1"), (b"b", b"1")])  # 0, 1; marker 2
    _transaction(producer, topic, [(b"a", b"aborted")], commit=False)  # 3; marker 4
    _transaction(producer, topic, [(b"b", None), (b"c", b"1"), (b"a", b"2")])  # 5-7; 8
    _transaction(producer, topic, [(b"c", b"past the end")])  # 9: after faust's end
    batches: list[tuple[tuple[str, int], Records, int]] = []
    reached = restore.read_into(
        config,
        {(topic, 0): (1, 8)},
        lambda tp, writes, offset: batches.append((tp, list(writes), offset)),
        budget_s=30,
        stop=threading.Event(),
    )
    assert reached == {(topic, 0): 7}
    state: dict[bytes, bytes | None] = {b"a": b"1"}  # offset 0, before the range
    for tp, writes, _ in batches:
        assert tp == (topic, 0)
        state.update(writes)
    assert state == {b"a": b"2", b"b": None, b"c": b"1"}
    assert [offset for *_, offset in batches] == [7]


def test_a_stopped_restore_hands_on_what_it_read_with_the_offset_it_reached() -> None:
    config, topic, producer = _topic("restore", 1)
    _transaction(producer, topic, [(str(i).encode(), b"v") for i in range(50)])
    stop = threading.Event()
    stop.set()  # the worker stops (or a rebalance) as the restore begins
    batches: list[tuple[Records, int]] = []
    reached = restore.read_into(
        config,
        {(topic, 0): (0, 50)},
        lambda tp, writes, offset: batches.append((list(writes), offset)),
        budget_s=30,
        stop=stop,
    )
    assert reached == {(topic, 0): 0}
    assert batches == [([(b"0", b"v")], 0)]
