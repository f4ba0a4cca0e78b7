"""A transaction Kafka never decided on partitions a worker takes over (a hanging transaction,
streams/exactly_once/undecided.py) stops the worker with the partitions named, instead of letting
its first commit decide the old records together with their reprocessing; once an operator has
resolved it, the worker starts.

The hanging transaction is made the way it looks to the worker: records on an active changelog
partition and a committed offset of the group, in a transaction left open."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from streams.settings import Settings
from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    free_port,
    launch_worker,
    prepare_app,
    running_worker,
    start_at_end,
    worker_env,
)

pytestmark = pytest.mark.integration


def test_a_worker_stops_on_a_hanging_transaction_and_starts_once_it_is_resolved(
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    env = worker_env(base, tag)
    settings = Settings.from_env(env)
    prepare_app(env)
    start_at_end(settings)
    changelog, hub_events = f"{settings.app_id}-hub-changelog", f"{settings.app_id}-hub-events"
    producer = Producer(
        {
            **settings.kafka_client_config(),
            "transactional.id": f"it-hanging-{tag}",
            "transaction.timeout.ms": 600_000,  # longer than the test: nothing decides it
        }
    )
    group = Consumer({**settings.kafka_client_config(), "group.id": settings.app_id})
    try:
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.produce(changelog, key=b'"1-HANG"', value=b"null", partition=0)
        producer.send_offsets_to_transaction(
            [TopicPartition(hub_events, 1, 0)], group.consumer_group_metadata(), 30
        )
        producer.flush(30)

        hanging = tmp_path / "hanging.log"
        proc = launch_worker(
            {**env, "SYNC_WEB_PORT": str(free_port()), "SYNC_DATA_DIR": str(tmp_path / "data")},
            hanging,
        )
        try:
            code = proc.wait(120)  # it checks for 20 s, then stops
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(30)
        log = hanging.read_text()
        assert code != 0, log[-3000:]
        stopped = [line for line in log.splitlines() if "hanging transaction" in line]
        assert stopped, log[-3000:]
        assert f"{changelog}[0]: offsets" in stopped[0]
        assert f"{hub_events}[1]: group {settings.app_id}'s committed offset" in stopped[0]

        producer.abort_transaction(30)  # what `kafka-transactions abort` does (README)
        with running_worker(base, tmp_path / "resolved", tag) as worker:
            assert worker.alive()
    finally:
        group.close()
