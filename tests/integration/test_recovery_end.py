"""Where table recovery stops reading a changelog (streams/topic_reader.py
`last_record_ends`): one past its last committed record, on a real broker — a partition written
in transactions ends with a marker, and aborted records after the last committed one are never
returned."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streams import topic_reader
from tests.integration.conftest import stack_env
from tests.integration.pipeline import app_settings

pytestmark = pytest.mark.integration


def _transaction(producer: Producer, topic: str, partition: int, n: int, *, commit: bool) -> None:
    producer.begin_transaction()
    for i in range(n):
        producer.produce(topic, key=b"k", value=str(i).encode(), partition=partition)
    producer.flush(10)
    if commit:
        producer.commit_transaction(10)
    else:
        producer.abort_transaction(10)


def test_recovery_ends_at_the_last_committed_record_not_at_the_marker() -> None:
    config = app_settings(stack_env(), "recovery-end").kafka_client_config()
    topic = f"it-recovery-end-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(config)
    admin.create_topics([NewTopic(topic, 4, 1)])[topic].result(15)
    producer = Producer({**config, "transactional.id": f"{topic}-tx"})
    producer.init_transactions(15)
    _transaction(producer, topic, 0, 2, commit=True)  # offsets 0, 1; marker 2
    _transaction(producer, topic, 0, 1, commit=False)  # offset 3 aborted; marker 4
    _transaction(producer, topic, 1, 3, commit=True)  # 0-2; marker 3
    _transaction(producer, topic, 1, 200, commit=False)  # a long aborted tail: 4-203; 204
    _transaction(producer, topic, 2, 5, commit=False)  # nothing committed at all
    parts = topic_reader.partitions_of(admin, [topic])
    ends = topic_reader.end_offsets(admin, parts)
    assert ends == {(topic, 0): 5, (topic, 1): 205, (topic, 2): 6, (topic, 3): 0}
    assert topic_reader.last_record_ends(config, ends) == {
        (topic, 0): 2,
        (topic, 1): 3,
        (topic, 2): 0,
        (topic, 3): 0,
    }
