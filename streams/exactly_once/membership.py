"""The watch on a worker's group membership: a worker whose membership has died stops.

aiokafka runs a consumer's whole group membership (join, sync, heartbeats, and faust's partition
assignor on the leader) in one task, `GroupCoordinator._coordination_task`. When that task
raises, aiokafka re-raises the error only from `getmany`, and faust calls `getmany` only for
the partitions it has. A worker whose rebalance died half-way has none, so it neither processes
nor exits, and `/ready` does not see it. Session 8 hit this: faust's assignor asserted on a
web URL in a rejoined assignment (avoided since by construction, see `Settings.group_instance`).
Any other error in that task would do the same.

`coordination_failure` finds such an error. Checked on a timer (streams/app.py), the worker then
stops as for any infrastructure failure (`Runtime.fail`), and its supervisor starts it again.
Reads faust's `Consumer._thread`, `AIOKafkaConsumerThread._consumer` and aiokafka's
`AIOKafkaConsumer._coordinator`, `GroupCoordinator._coordination_task` and `._closing`
(pinned.py).
"""

from __future__ import annotations

from typing import Any

from streams.errors import SyncError


class MembershipError(SyncError):
    """The consumer's group coordination has ended with an error: an infrastructure failure."""


def coordination_failure(consumer: Any) -> MembershipError | None:
    """The error aiokafka's group coordination ended with, or None while it runs (and before
    it has started, and once the consumer is stopping). The task belongs to the consumer
    thread's event loop; only its state is read here, which is safe from another thread."""
    kafka = getattr(getattr(consumer, "_thread", None), "_consumer", None)
    coordinator = getattr(kafka, "_coordinator", None)
    closing = getattr(coordinator, "_closing", None)
    if closing is not None and closing.done():
        return None  # the consumer is stopping: how the task ends is the stop's to report
    task = getattr(coordinator, "_coordination_task", None)
    if task is None or not task.done() or task.cancelled():
        return None
    exc = task.exception()
    if exc is None:
        return None
    failure = MembershipError(f"the consumer's group coordination has ended: {exc!r}")
    failure.__cause__ = exc
    return failure
