"""What the dead-letter topic holds, for the `/dlq` view: counts by kind and reason, and the most
recent records with where their input sits (`topic[partition]@offset`).

The topic is read directly (read_committed), at most `SCAN` records back per partition: dead
letters and alerts are few in a healthy deployment, and the view says when it counted only part.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from streams.settings import Settings

SCAN = 10_000
LATEST = 20


def summarize(records: Iterable[Mapping[str, Any]], *, latest: int = LATEST) -> dict[str, Any]:
    """`records` oldest first, as decoded from the topic (streams/dead_letter.py's shapes)."""
    counts: Counter[str] = Counter()
    recent: list[dict[str, Any]] = []
    for record in records:
        counts[f"{record.get('kind', '?')} {record.get('reason', '?')}"] += 1
        source = record.get("source") or {}
        recent.append(
            {
                "kind": record.get("kind"),
                "reason": record.get("reason"),
                "account_id": record.get("account_id"),
                "message": str(record.get("message", ""))[:500],
                "at": record.get("at"),
                "input": (
                    f"{source['topic']}[{source['partition']}]@{source['offset']}"
                    if source
                    else None
                ),
            }
        )
        del recent[:-latest]
    recent.reverse()  # newest first
    return {
        "total": sum(counts.values()),
        "by_reason": dict(sorted(counts.items())),
        "latest": recent,
    }


def read(settings: Settings, timeout_s: float = 10.0) -> dict[str, Any]:
    """Blocking: run it off the event loop."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"{settings.app_id}-dlq-view",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(settings.dlq_topic, timeout=timeout_s)
        topic = metadata.topics.get(settings.dlq_topic)
        partitions = sorted(topic.partitions) if topic and not topic.error else []
        starts: dict[int, int] = {}
        ends: dict[int, int] = {}
        for p in partitions:
            low, ends[p] = consumer.get_watermark_offsets(
                TopicPartition(settings.dlq_topic, p), timeout=timeout_s
            )
            starts[p] = max(low, ends[p] - SCAN)
        partial = any(starts[p] > 0 and ends[p] - starts[p] == SCAN for p in partitions)
        records: list[dict[str, Any]] = []
        todo = {p for p in partitions if ends[p] > starts[p]}
        if todo:
            consumer.assign([TopicPartition(settings.dlq_topic, p, starts[p]) for p in todo])
        deadline = time.monotonic() + timeout_s
        while todo and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                try:
                    records.append(json.loads(msg.value() or b"{}"))
                except ValueError:
                    records.append({"kind": "UNREADABLE", "reason": "not JSON"})
            # the client's position passes transaction markers, which are never returned
            at = consumer.position([TopicPartition(settings.dlq_topic, p) for p in todo])
            todo -= {tp.partition for tp in at if tp.offset >= ends[tp.partition]}
        records.sort(key=lambda r: str(r.get("at", "")))
        return {**summarize(records), "partial": partial, "topic": settings.dlq_topic}
    finally:
        consumer.close()
