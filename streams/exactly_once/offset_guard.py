"""Every record of a partition is processed once, in order — even when faust drops some.

faust-streaming 0.15 can lose records between the Kafka client and the agent: its fetch loop
stops half-way through a fetched batch when flow control or the consumer generation changes
(the rest of the batch is never delivered, but the client's position is past it), and it drops
any record below the highest offset it ever delivered (`_read_offset`), so the records it lost
are dropped again when a seek fetches them anew. The next record the agent sees is then further
on; committing its position skips the lost ones for good. A crash test saw whole ranges of Siebel
edits vanish this way, right after a rebalance.

The guard keeps, per partition, the next offset to process, and admits a record only if it is
that offset, or if every offset before it is a *real* hole: a stretch the Kafka client itself
skipped while fetching (transaction markers, aborted records, compacted-away records), as seen
in the raw fetched batches. Anything else is a record lost on the way: the caller seeks the
partition back to the expected offset and the records come again. Duplicates (offsets already
processed, which come again after a seek) are skipped.

A partition newly assigned is not admitted from at all until its start is known
(`start`, from the seek to the committed offset): faust resumes fetching a partition before it
seeks it, so the first records of a new assignment may come from where the client stood under
the old one — past records fetched then and never processed. Admitting those would commit past
the records in between (the at-least-once fault run lost inputs this way).

Only the partitions of the topics agents consume are tracked (`watch`): a standby or recovering
changelog partition is fetched but never admitted, and its holes would pile up until the next
rebalance. A partition keeps at most `MAX_HOLES` holes in any case (the oldest go first; losing
one costs a needless re-fetch, never a record).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from enum import Enum


class Verdict(Enum):
    PROCESS = "process"
    DUPLICATE = "duplicate"  # already processed: skip it
    MISSING = "missing"  # records before it were lost: seek back, skip it for now
    UNSTARTED = "unstarted"  # newly assigned, not sought to its start yet: skip it


MAX_HOLES = 10_000


class OffsetGuard:
    def __init__(self) -> None:
        self._watched: frozenset[str] | None = None
        self._expected: dict[Hashable, int] = {}
        self._fetch_next: dict[Hashable, int] = {}
        self._holes: dict[Hashable, list[tuple[int, int]]] = {}
        self._refetching: dict[Hashable, int] = {}
        self._last_check: dict[Hashable, int] = {}
        self._starting: set[Hashable] = set()

    def expected(self, tp: Hashable) -> int | None:
        return self._expected.get(tp)

    def watch(self, topics: Iterable[str]) -> None:
        """Track only partitions of these topics (unset: every partition)."""
        self._watched = frozenset(topics)

    def watches(self, tp: Hashable) -> bool:
        topic = getattr(tp, "topic", None)
        return self._watched is None or topic is None or topic in self._watched

    def on_fetched(self, tp: Hashable, offsets: Iterable[int]) -> None:
        """Offsets the Kafka client returned for `tp`, in order: a jump between them is a real
        hole (the client skipped it), as is a jump from the position of the last seek."""
        if not self.watches(tp):
            return
        next_offset = self._fetch_next.get(tp)
        for offset in offsets:
            if next_offset is not None and offset > next_offset:
                holes = self._holes.setdefault(tp, [])
                holes.append((next_offset, offset))
                if len(holes) > MAX_HOLES:
                    del holes[: len(holes) - MAX_HOLES]
            next_offset = offset + 1
        if next_offset is not None:
            self._fetch_next[tp] = next_offset

    def tracked(self) -> int:
        """How many holes are kept, over all partitions (memory, for tests and metrics)."""
        return sum(len(h) for h in self._holes.values())

    def on_seek(self, tp: Hashable, offset: int | None) -> None:
        """The client will fetch `tp` from `offset` next (None: from where it does not say)."""
        if offset is None:
            self._fetch_next.pop(tp, None)
        else:
            self._fetch_next[tp] = offset

    def start(self, tp: Hashable, offset: int) -> None:
        """The consumer was sought to where processing of `tp` starts (its committed offset, or
        the start of the log when nothing is committed). For a partition of a new assignment
        this is its start; for one already started, a later seek back to the committed offset
        changes nothing (what was processed since comes again as duplicates)."""
        if tp in self._starting or tp not in self._expected:
            self._starting.discard(tp)
            self._expected[tp] = offset

    def admit(self, tp: Hashable, offset: int) -> Verdict:
        if tp in self._starting:
            return Verdict.UNSTARTED
        expected = self._expected.get(tp)
        if expected is not None and offset < expected:
            return Verdict.DUPLICATE
        if expected is None or offset == expected or self._all_holes(tp, expected, offset):
            self._expected[tp] = offset + 1
            self._refetching.pop(tp, None)
            holes = self._holes.get(tp)
            if holes:
                self._holes[tp] = [h for h in holes if h[1] > offset]
            return Verdict.PROCESS
        return Verdict.MISSING

    def needs_seek(self, tp: Hashable) -> int | None:
        """After MISSING: the offset to seek to, or None if that seek is already under way
        (records buffered past the loss come next and are MISSING too; one seek brings them
        all again)."""
        expected = self._expected.get(tp)
        if expected is None or self._refetching.get(tp) == expected:
            return None
        self._refetching[tp] = expected
        return expected

    def take_refetch(self, tp: Hashable) -> int | None:
        """A fetched batch of `tp` arrived: if a seek was asked for, the offset it went to —
        the caller lets records from there through faust's `_read_offset` filter. A loss seen
        after this asks for a new seek."""
        return self._refetching.pop(tp, None)

    def starting(self) -> set[Hashable]:
        """Partitions waiting for `start`."""
        return set(self._starting)

    def stalled(self) -> dict[Hashable, int]:
        """Partitions to fetch again, with the offset to seek to: the client fetched past the
        expected offset, yet nothing was admitted since the last call. A loss at the end of
        a partition shows no later record to give it away; this is called on a timer."""
        stalled = {}
        for tp, expected in self._expected.items():
            fetched = self._fetch_next.get(tp)
            if (
                fetched is not None
                and fetched > expected
                and self._last_check.get(tp) == expected
                and not self._all_holes(tp, expected, fetched)
            ):
                stalled[tp] = expected
        self._last_check = dict(self._expected)
        return stalled

    def forget(self, tps: Iterable[Hashable]) -> None:
        """Partitions revoked or newly assigned: nothing is admitted until `start` says where
        the new assignment starts."""
        for tp in tps:
            if self.watches(tp):
                self._starting.add(tp)
            self._expected.pop(tp, None)
            self._fetch_next.pop(tp, None)
            self._holes.pop(tp, None)
            self._refetching.pop(tp, None)
            self._last_check.pop(tp, None)

    def _all_holes(self, tp: Hashable, start: int, end: int) -> bool:
        """Is every offset in [start, end) inside a hole the client skipped?"""
        for hole_start, hole_end in sorted(self._holes.get(tp, ())):
            if hole_start <= start < hole_end:
                start = hole_end
            if start >= end:
                return True
        return start >= end
