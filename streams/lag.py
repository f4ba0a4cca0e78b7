"""How far the app's consumer group is behind on the topics it reads, in records."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka.admin import AdminClient

from streams import topic_reader
from streams.settings import Settings
from streams.topology import internal_topic_names


def records_behind(settings: Settings, topics: Iterable[str], admin: AdminClient) -> int:
    """Records of `topics` the app's group has not committed past. Internal topics are written
    in transactions under exactly-once: after a partition's last record come the commit
    markers of the transactions that wrote it (one per transactional producer, one per
    partition number), which no offset commit passes — those are not counted."""
    internal = set(internal_topic_names(settings).values())
    parts = [(t, p) for t in topics for p in range(settings.partitions)]
    committed = topic_reader.group_offsets(admin, settings.app_id, parts)
    ends = topic_reader.end_offsets(admin, committed, committed=False)
    markers = settings.partitions
    return sum(
        max(0, end - (committed[k] or 0) - (markers if k[0] in internal else 0))
        for k, end in ends.items()
    )
