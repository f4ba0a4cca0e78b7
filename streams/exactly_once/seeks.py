"""Which fetched batches predate a seek of their partition.

faust fetches on its consumer thread and hands each batch to the event loop afterwards; seeks
run on that thread too. A batch the client returned just before a seek reaches the fetch loop
just after it: it continues from the *old* position. Taken at face value it is either a jump
ahead (records between the seek target and the old position never come: the offset guard saw
the jump as offsets the client skipped, and the at-least-once fault run lost inputs that way;
table recovery applied the records past the jump and then skipped the ones before it as seen),
or records already applied coming again.

Every seek is logged here before it is issued (`begin`) and after it is done (`end`). The fetch
loop takes a `snapshot` before it waits for a batch; a partition sought since then, or with a
seek under way at either end, may hold a stale batch: the loop drops it and seeks the partition
again to where the last seek went (`target`), so whatever the client returned afterwards is
fetched again (records seen twice are filtered by their readers: the offset guard, recovery).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Snapshot(Generic[K]):
    epochs: Mapping[K, int]
    under_way: frozenset[K]


class Seeks(Generic[K]):
    def __init__(self) -> None:
        self._epoch: dict[K, int] = {}
        self._under_way: dict[K, int] = {}
        self._target: dict[K, int] = {}

    def begin(self, targets: Mapping[K, int]) -> None:
        for tp, offset in targets.items():
            self._epoch[tp] = self._epoch.get(tp, 0) + 1
            self._under_way[tp] = self._under_way.get(tp, 0) + 1
            self._target[tp] = offset

    def end(self, tps: Iterable[K]) -> None:
        for tp in tps:
            left = self._under_way.get(tp, 0) - 1
            if left > 0:
                self._under_way[tp] = left
            else:
                self._under_way.pop(tp, None)

    def snapshot(self) -> Snapshot[K]:
        return Snapshot(dict(self._epoch), frozenset(self._under_way))

    def current(self, tp: K, before: Snapshot[K]) -> bool:
        """Can a batch of `tp` fetched since `before` be trusted to follow the last seek?"""
        return (
            self._epoch.get(tp, 0) == before.epochs.get(tp, 0)
            and tp not in before.under_way
            and tp not in self._under_way
        )

    def target(self, tp: K) -> int | None:
        """Where the last seek of `tp` went (None: never sought here)."""
        return self._target.get(tp)
