"""Topic names of the pipeline and their pre-creation, for clusters that forbid auto-creation.

`python -m streams.topology create` creates (idempotently) the Debezium source topics, the
internal topics with the app's partition count, the commands and the dead-letter topic.
"""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from streams.core.source_config import SourceConfig
from streams.settings import Settings


def source_topic_names(settings: Settings, config: SourceConfig) -> list[str]:
    return [settings.source_topic(table) for table in config.tables.values()]


def internal_topic_names(settings: Settings) -> dict[str, str]:
    """Faust prefixes internal topics with the app id; these are the agents' inputs."""
    return {name: f"{settings.app_id}-{name}-events" for name in ("orders", "refs", "hub")}


def changelog_topic_names(settings: Settings) -> list[str]:
    tables = ("hub", "orders", "refs", "history")
    return [f"{settings.app_id}-{table}-changelog" for table in tables]


def partition_counts(settings: Settings, config: SourceConfig) -> dict[str, int | None]:
    """Topic → partition count (None: missing) of every topic the app consumes or keeps state
    in; all must agree (streams/exactly_once/partitions.py)."""
    names = [
        *source_topic_names(settings, config),
        *internal_topic_names(settings).values(),
        *changelog_topic_names(settings),
    ]
    admin = AdminClient(settings.kafka_client_config())
    topics = admin.list_topics(timeout=10).topics
    return {n: len(topics[n].partitions) if n in topics else None for n in names}


def create_topics(settings: Settings, config: SourceConfig) -> list[str]:
    """Create what is missing; returns the names created."""
    admin = AdminClient(settings.kafka_client_config())
    existing = set(admin.list_topics(timeout=10).topics)
    rf = settings.replication_factor
    wanted = [
        NewTopic(name, settings.partitions, rf)
        for name in (
            *source_topic_names(settings, config),
            *internal_topic_names(settings).values(),
            settings.commands_topic,
            settings.dlq_topic,
        )
    ] + [
        NewTopic(name, settings.partitions, rf, config={"cleanup.policy": "compact"})
        for name in changelog_topic_names(settings)
    ]
    missing = [t for t in wanted if t.topic not in existing]
    if not missing:
        return []
    for future in admin.create_topics(missing).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # a concurrent creator
                raise
    return [t.topic for t in missing]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.topology")
    parser.add_argument("command", choices=["create", "list"])
    args = parser.parse_args(argv)
    settings, config = Settings.from_env(), SourceConfig.load()
    if args.command == "list":
        print("\n".join(source_topic_names(settings, config)))
        print("\n".join(internal_topic_names(settings).values()))
        print("\n".join([settings.commands_topic, settings.dlq_topic]))
        return 0
    created = create_topics(settings, config)
    print(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
