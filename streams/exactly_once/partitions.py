"""Every topic the app consumes or writes state to must have the same partition count.

Exactly-once here rests on it: the transaction of partition p carries the outputs of events of
partition p, the offsets of every topic's partition p and the table changelog writes of
partition p; faust numbers its transactional ids by topic group, a group being the topics of
one partition count. A Debezium topic created with another count (a broker default of 1, say)
would put its events in another group, with their own transactional ids, and table writes in a
transaction that does not commit their offsets. So a worker refuses to start instead.

The transactional ids (`{app id}-{group}-{partition}`) stay valid when every count is raised
together: partitions 0…n-1 keep their ids, and the new ones get new ids.
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.errors import ConfigError


def check_copartitioned(counts: Mapping[str, int | None], expected: int) -> None:
    """`counts`: topic → partition count (None: the topic does not exist yet, and is created
    with `expected` partitions)."""
    wrong = {t: n for t, n in sorted(counts.items()) if n is not None and n != expected}
    if wrong:
        listing = ", ".join(f"{t} has {n}" for t, n in wrong.items())
        raise ConfigError(
            f"every topic of the app must have {expected} partitions (SYNC_PARTITIONS), but "
            f"{listing}. Exactly-once needs co-partitioned topics: recreate these topics or "
            "set SYNC_PARTITIONS to their count, and give every topic the same count"
        )
