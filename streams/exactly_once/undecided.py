"""Transactions still undecided on partitions this worker has just taken over.

When a worker takes partitions over, its transactional producers start first: InitProducerId
fences the previous owner and makes the coordinator finish whatever that owner left open. After
that nothing may be undecided on what only this worker's transactions write and then read back:
the changelog partitions of its active tables (their last stable offset must be their end) and
the group's committed offsets of its input partitions (OffsetFetch with `require_stable` must
not answer UNSTABLE_OFFSET_COMMIT).

If something is, Kafka recorded a transaction as complete without writing its markers: its
coordinator skips the markers of a partition that has no leader at that moment, taking it for
deleted (KAFKA-5202) — a single-replica topic whose only broker shuts down during a commit. The
CI's fault run hit it on a graceful restart of the local one-broker stack. Such a *hanging*
transaction is decided by the next commit of the same producer id — this worker's: processing on
would read the older state and offsets, process the same events again, and then commit both
copies together (the fault run saw ten duplicated commands). So the worker stops, naming the
partitions; the README's "Hanging transactions" says how an operator resolves them.
"""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from streams.errors import SyncError
from streams.topic_reader import REQUEST_TIMEOUT_S, end_offsets


class HangingTransactionError(SyncError):
    """Records or offsets on this worker's partitions in a transaction nobody will decide."""


def find(
    admin: AdminClient,
    group: str,
    changelogs: Sequence[tuple[str, int]],
    inputs: Sequence[tuple[str, int]],
) -> list[str]:
    """What is undecided, one line per partition (empty: nothing). Raises KafkaException when
    Kafka cannot be asked."""
    problems = []
    if changelogs:
        stable = end_offsets(admin, changelogs, committed=True)
        end = end_offsets(admin, changelogs, committed=False)
        for key in sorted(stable):
            if stable[key] < end[key]:
                problems.append(
                    f"{key[0]}[{key[1]}]: offsets {stable[key]}-{end[key] - 1} are in a "
                    "transaction that was never committed or aborted"
                )
    wanted = [TopicPartition(topic, partition) for topic, partition in sorted(inputs)]
    if wanted:
        futures = admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group, wanted)],
            require_stable=True,
            request_timeout=REQUEST_TIMEOUT_S,
        )
        for tp in futures[group].result().topic_partitions:
            if tp.error is None:
                continue
            if tp.error.code() != KafkaError.UNSTABLE_OFFSET_COMMIT:
                raise KafkaException(tp.error)
            problems.append(
                f"{tp.topic}[{tp.partition}]: group {group}'s committed offset is in a "
                "transaction that was never committed or aborted"
            )
    return problems


def message(problems: list[str]) -> str:
    return (
        "hanging transaction on partitions this worker takes over (Kafka skipped its markers; "
        "see the README, 'Hanging transactions'): " + "; ".join(problems)
    )
