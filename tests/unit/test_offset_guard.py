"""The offset guard (streams/exactly_once/offset_guard.py): every record once, in order,
despite faust's lost records."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from faust import types as faust_types
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.exactly_once.offset_guard import OffsetGuard, Verdict

TP = ("siebel.siebel.s_org_ext", 0)


def _started_at(offset: int) -> OffsetGuard:
    guard = OffsetGuard()
    guard.on_seek(TP, offset)
    guard.start(TP, offset)
    return guard


def test_records_in_order_are_processed() -> None:
    guard = _started_at(10)
    assert [guard.admit(TP, o) for o in (10, 11, 12)] == [Verdict.PROCESS] * 3
    assert guard.expected(TP) == 13


def test_a_record_seen_again_after_a_seek_is_a_duplicate() -> None:
    guard = _started_at(10)
    guard.admit(TP, 10)
    assert guard.admit(TP, 10) is Verdict.DUPLICATE


def test_a_hole_the_client_skipped_is_crossed() -> None:
    # 12 is a transaction marker: the client returned 11 then 13
    guard = _started_at(10)
    guard.on_fetched(TP, [10, 11, 13])
    assert [guard.admit(TP, o) for o in (10, 11, 13)] == [Verdict.PROCESS] * 3


def test_a_hole_right_at_the_committed_offset_is_crossed() -> None:
    # the committed offset points at a marker: the first record fetched is one further on
    guard = _started_at(10)
    guard.on_fetched(TP, [11, 12])
    assert guard.admit(TP, 11) is Verdict.PROCESS


def test_records_faust_lost_are_fetched_again_once() -> None:
    # the client returned 10-15, faust delivered 10-11 and lost 12-15, then the next batch
    guard = _started_at(10)
    guard.on_fetched(TP, range(10, 16))
    guard.on_fetched(TP, range(16, 19))
    assert guard.admit(TP, 10) is Verdict.PROCESS
    assert guard.admit(TP, 11) is Verdict.PROCESS
    assert guard.admit(TP, 16) is Verdict.MISSING
    assert guard.needs_seek(TP) == 12
    assert guard.admit(TP, 17) is Verdict.MISSING
    assert guard.needs_seek(TP) is None  # that seek is under way
    guard.on_seek(TP, 12)
    guard.on_fetched(TP, range(12, 19))
    assert guard.take_refetch(TP) == 12  # the batch may pass faust's _read_offset filter
    assert [guard.admit(TP, o) for o in range(12, 19)] == [Verdict.PROCESS] * 7


def test_a_loss_at_the_end_of_a_partition_is_fetched_again_on_the_timer() -> None:
    guard = _started_at(10)
    guard.on_fetched(TP, [10, 11, 12])
    guard.admit(TP, 10)  # 11 and 12 were lost and nothing comes after them
    assert guard.stalled() == {}  # the first look only notes where processing stands
    assert guard.stalled() == {TP: 11}
    guard.admit(TP, 11)
    guard.admit(TP, 12)
    assert guard.stalled() == {}


def test_a_partition_whose_end_is_a_marker_is_not_stalled() -> None:
    guard = _started_at(10)
    guard.on_fetched(TP, [10, 12])  # 11 was a marker
    guard.admit(TP, 10)
    guard.admit(TP, 12)
    guard.stalled()
    assert guard.stalled() == {}


def test_a_new_assignment_starts_from_the_committed_offset() -> None:
    guard = _started_at(10)
    guard.admit(TP, 10)
    guard.forget([TP])
    guard.start(TP, 5)
    assert guard.admit(TP, 5) is Verdict.PROCESS


def test_nothing_of_a_new_assignment_is_admitted_before_its_start_is_known() -> None:
    # faust resumes fetching a kept partition before it seeks it to the committed offset: the
    # client still stands where the old assignment left it, past records fetched then and
    # never processed (12-14 here); admitting 15 would commit past them
    guard = _started_at(10)
    guard.admit(TP, 10)
    guard.admit(TP, 11)
    guard.forget([TP])  # the rebalance: 12-14 were fetched, never processed
    assert guard.admit(TP, 15) is Verdict.UNSTARTED
    assert guard.needs_seek(TP) is None  # the seek to the committed offset brings them
    guard.start(TP, 12)
    assert [guard.admit(TP, o) for o in (12, 13, 14, 15)] == [Verdict.PROCESS] * 4


def test_a_later_seek_to_the_committed_offset_does_not_move_a_started_partition_back() -> None:
    guard = _started_at(10)
    guard.admit(TP, 10)
    guard.admit(TP, 11)
    guard.start(TP, 10)  # faust seeks again without a rebalance: 10-11 come again
    assert guard.admit(TP, 10) is Verdict.DUPLICATE
    assert guard.admit(TP, 12) is Verdict.PROCESS


def test_an_unwatched_partition_is_never_held_back() -> None:
    guard = OffsetGuard()
    guard.watch(["siebel.siebel.s_org_ext"])
    changelog = faust_types.TP("app-hub-changelog", 0)
    guard.forget([changelog])
    assert changelog not in guard.starting()


@dataclass
class _LossyFaust:
    """faust's fetch loop as far as the guard is concerned: the client fetches in batches from
    its position; faust may stop delivering a batch part-way (the rest is lost, the position
    stays past it) and drops any record below the highest offset it delivered."""

    log: list[int]
    guard: OffsetGuard
    position: int
    read_offset: int | None = None
    delivered: list[int] = field(default_factory=list)

    def seek(self, offset: int) -> None:
        self.position = offset
        self.read_offset = offset
        self.guard.on_seek(TP, offset)

    def fetch(self, size: int, deliver: int) -> None:
        batch = [o for o in self.log if o >= self.position][:size]
        if not batch:
            return
        self.guard.on_fetched(TP, batch)
        refetch = self.guard.take_refetch(TP)
        if refetch is not None:
            self.read_offset = refetch
        self.position = batch[-1] + 1
        for offset in batch[:deliver]:
            if self.read_offset is None or offset >= self.read_offset:
                self.delivered.append(offset)
                self.read_offset = offset


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.integers(1, 3), min_size=1, max_size=40),
    batches=st.lists(
        st.tuples(st.integers(1, 8), st.integers(0, 8), st.integers(0, 8)), max_size=12
    ),
)
def test_whatever_faust_loses_every_record_is_processed_once_in_order(
    gaps: list[int], batches: list[tuple[int, int, int]]
) -> None:
    log = [sum(gaps[: i + 1]) for i in range(len(gaps))]  # increasing, with real holes
    committed = 1  # at or before the first record
    guard = _started_at(committed)
    faust = _LossyFaust(log, guard, committed)
    processed: list[int] = []
    # the adversary's batches (size, how many faust delivers, how many the agent takes from
    # its buffer before the next fetch: a seek leaves the rest there), then a fair fetcher
    plan = [*batches, *[(8, 8, 99)] * (2 * len(log) + 4)]
    for size, deliver, take in plan:
        faust.fetch(size, deliver)
        for _ in range(min(take, len(faust.delivered))):
            offset = faust.delivered.pop(0)
            verdict = guard.admit(TP, offset)
            if verdict is Verdict.PROCESS:
                processed.append(offset)
            elif verdict is Verdict.MISSING:
                target = guard.needs_seek(TP)
                if target is not None:
                    faust.seek(target)
        for target in guard.stalled().values():  # the timer of streams/exactly_once/runtime.py
            faust.seek(target)
    assert processed == log


@pytest.mark.parametrize("offset", [9, 10])
def test_nothing_processed_is_ever_admitted_again(offset: int) -> None:
    guard = _started_at(9)
    guard.admit(TP, 9)
    guard.admit(TP, 10)
    assert guard.admit(TP, offset) is Verdict.DUPLICATE
