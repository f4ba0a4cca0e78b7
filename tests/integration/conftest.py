"""Fixtures for tests against the real local stack (`make stack-up`).

A service that is not up fails the test; it never skips (in CI a skipped integration test would
hide a broken stack).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer, Message
from confluent_kafka.admin import AdminClient

from streams.settings import Settings
from tests.conftest import ROOT


def stack_env() -> dict[str, str]:
    env_file = Path(os.environ.get("STACK_HOME", ROOT / ".stack")) / "env"
    if not env_file.exists():
        pytest.fail(f"{env_file} not found: the stack is not up (run `make stack-up`)")
    values: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            values[key] = value.strip("'")
    return {**values, **{k: v for k, v in os.environ.items() if k in values}}


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env(stack_env())


@pytest.fixture(scope="session")
def admin(settings: Settings) -> AdminClient:
    client = AdminClient(settings.kafka_client_config())
    try:
        client.list_topics(timeout=10)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Kafka at {settings.kafka_bootstrap_servers} is not reachable: {exc}")
    return client


@pytest.fixture
def pg(settings: Settings) -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(settings.siebel_dsn.get_secret_value(), autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"the Siebel database is not reachable: {exc}")
    with conn:
        yield conn


def new_row_id(n: int = 0) -> str:
    """A fresh Siebel-shaped ROW_ID (at most 15 characters), unique across test runs."""
    return f"1-{uuid.uuid4().hex[:8].upper()}-{n}"


@dataclass(frozen=True)
class Event:
    topic: str
    key: dict[str, object]
    value: dict[str, object] | None  # None: tombstone

    @classmethod
    def of(cls, msg: Message) -> Event:
        raw_key, raw_value = msg.key(), msg.value()
        return cls(
            topic=str(msg.topic()),
            key=json.loads(raw_key) if raw_key else {},
            value=json.loads(raw_value) if raw_value else None,
        )


def collect(
    settings: Settings,
    topics: list[str],
    keep: Callable[[Event], bool],
    done: Callable[[list[Event]], bool],
    timeout_s: float = 90.0,
) -> list[Event]:
    """Read `topics` (names or ^regexes) from the start until `done(kept events)` or timeout."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"it-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "topic.metadata.refresh.interval.ms": 1000,
        }
    )
    consumer.subscribe(topics)
    kept: list[Event] = []
    # Nothing is committed, so a rebalance (a topic appearing) re-reads from the start.
    seen: set[tuple[str, int, int]] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while not done(kept) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            coordinates = (str(msg.topic()), int(msg.partition() or 0), int(msg.offset() or 0))
            if coordinates in seen:
                continue
            seen.add(coordinates)
            try:
                event = Event.of(msg)
            except ValueError:
                continue  # not ours: e.g. the malformed records the R11 test writes
            if keep(event):
                kept.append(event)
    finally:
        consumer.close()
    return kept
