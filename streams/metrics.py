"""The product's Prometheus metrics (served at `/metrics` with faust's own, streams/web.py).

Counters count what this worker did since it started (Prometheus sums workers and handles
restarts); gauges say how things stand on this worker's partitions now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter(
    "sync_events",
    "Source and internal events processed, by topic",
    ["topic"],
    registry=REGISTRY,
)
COMMANDS = Counter(
    "sync_commands",
    "CC&B commands sent, by type",
    ["command_type"],
    registry=REGISTRY,
)
ALERTS = Counter(
    "sync_alerts",
    "Alerts raised (to the dead-letter topic), by reason",
    ["reason"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "sync_dead_letters",
    "Events dead-lettered as bad input, by reason",
    ["reason"],
    registry=REGISTRY,
)
HELD = Gauge(
    "sync_held_creates",
    "Creates waiting for a complete customer (R7) on this worker's partitions",
    registry=REGISTRY,
)
LAG = Gauge(
    "sync_consumer_lag",
    "Records not yet processed, by partition of the topics this worker reads",
    ["topic", "partition"],
    registry=REGISTRY,
)
RECOVERY_REMAINING = Gauge(
    "sync_table_recovery_remaining",
    "Changelog records still to read before this worker's tables are recovered",
    registry=REGISTRY,
)
LATENCY = Histogram(
    "sync_commit_to_command_seconds",
    "From the Siebel commit (Debezium source timestamp) to the command sent",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)


def command_sent(command: Mapping[str, Any], now: datetime | None = None) -> None:
    COMMANDS.labels(command["command_type"]).inc()
    committed = (command.get("source") or {}).get("commit_time")
    if isinstance(committed, datetime) and not (command.get("source") or {}).get("snapshot"):
        # a snapshot read's timestamp is the snapshot's, not a commit's: no latency to tell
        LATENCY.observe(max(0.0, ((now or datetime.now(UTC)) - committed).total_seconds()))


def set_lag(lag: Mapping[tuple[str, int], int]) -> None:
    for (topic, partition), value in lag.items():
        LAG.labels(topic, str(partition)).set(value)
