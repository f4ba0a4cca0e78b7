"""On a real broker: when aiokafka's group coordination dies (here an assignor that raises on
its assignment, as faust's did in session 8), the error is kept in the task that ran it, where
streams/exactly_once/membership.py finds it (faust's rebalance callback never runs then, so a
worker would get no partition and no error)."""

from __future__ import annotations

import asyncio
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from confluent_kafka.admin import AdminClient, NewTopic

from streams.exactly_once.membership import MembershipError, coordination_failure
from tests.integration.conftest import stack_env
from tests.integration.pipeline import app_settings

pytestmark = pytest.mark.integration

WAIT_S = 30.0


class RefusingAssignor(RoundRobinPartitionAssignor):
    name = "refusing"

    @classmethod
    def on_assignment(cls, assignment: Any) -> None:
        raise AssertionError("assignment for another worker")


async def _watch(servers: str, topic: str) -> MembershipError | None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers,
        group_id=f"{topic}-group",
        partition_assignment_strategy=[RefusingAssignor],
    )
    await consumer.start()
    try:
        faust_consumer = SimpleNamespace(_thread=SimpleNamespace(_consumer=consumer))
        deadline = time.monotonic() + WAIT_S
        failure = coordination_failure(faust_consumer)
        while failure is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            failure = coordination_failure(faust_consumer)
        return failure
    finally:
        await consumer.stop()


def test_a_dead_group_coordination_is_found() -> None:
    settings = app_settings(stack_env(), "membership")
    topic = f"it-membership-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(settings.kafka_client_config())
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(15)
    failure = asyncio.run(_watch(settings.kafka_bootstrap_servers, topic))
    assert isinstance(failure, MembershipError)
    assert "another worker" in str(failure)
