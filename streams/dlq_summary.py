"""What the dead-letter topic holds, for the `/dlq` view: counts by kind and reason, and the most
recent records with where their input sits (`topic[partition]@offset`).

The topic is read directly (read_committed), at most `SCAN` records back per partition: dead
letters and alerts are few in a healthy deployment, and the view says when it counted only part.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka.admin import AdminClient

from streams.settings import Settings
from streams.topic_reader import (
    IncompleteReadError,
    end_offsets,
    partitions_of,
    read_to_end,
    start_offsets,
)

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
    admin = AdminClient(settings.kafka_client_config())
    parts = partitions_of(admin, [settings.dlq_topic])
    firsts, ends = start_offsets(admin, parts), end_offsets(admin, parts)
    starts = {tp: max(firsts[tp], ends[tp] - SCAN) for tp in parts}
    partial = any(starts[tp] > firsts[tp] for tp in parts)
    records: list[dict[str, Any]] = []
    try:
        for msg in read_to_end(settings, starts, timeout_s=timeout_s):
            try:
                records.append(json.loads(msg.value() or b"{}"))
            except ValueError:
                records.append({"kind": "UNREADABLE", "reason": "not JSON"})
    except IncompleteReadError:
        partial = True  # what was read in time is still worth showing
    records.sort(key=lambda r: str(r.get("at", "")))
    return {**summarize(records), "partial": partial, "topic": settings.dlq_topic}
