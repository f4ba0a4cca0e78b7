"""The commit gate: a transaction always carries whole events and exactly their offsets.

faust commits from a timer task, possibly while an agent is half-way through an event whose
first outputs are already in the transaction. A commit waits until no event is in flight and
holds new events back until it is done. During a rebalance the gate stays shut from the moment
the old assignment is committed until the new one is in place, so no event runs without an
open transaction or under an assignment that is no longer this worker's.

The gate also keeps the position to commit per partition: one past the last event a handler
*finished*. A position stays pending until a commit that carried it succeeded, so a commit
that faust discards (or that fails) never loses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Generic, TypeVar

TPT = TypeVar("TPT")


class _InFlight:
    """How many of something are under way, and an event set whenever none is."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    @contextmanager
    def track(self) -> Iterator[None]:
        # nothing awaited on the way out: a commit waiting for idle runs only after the event
        # has left the block, with its position (`processed`, recorded inside it) in place
        self.count += 1
        self.idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self.idle.set()


class CommitGate(Generic[TPT]):
    """A readers/writer barrier on the event loop: events are readers, a commit is the writer.

    A waiting commit has priority, so a busy stream cannot postpone commits for ever. Table
    writes that faust's buffer task sends for events already processed are never held back,
    but a commit can wait for them.
    """

    def __init__(self) -> None:
        self._events = _InFlight()
        self._sends = _InFlight()
        self._open = asyncio.Event()
        self._open.set()
        self._suspended = False
        self._commit_lock = asyncio.Lock()
        self._next_offset: dict[TPT, int] = {}

    # positions

    def processed(self, tp: TPT, offset: int) -> None:
        """A handler finished the event at `offset`: everything before `offset + 1` is done."""
        if offset >= self._next_offset.get(tp, 0):
            self._next_offset[tp] = offset + 1

    def position(self, tp: TPT) -> int | None:
        """The offset to commit for `tp`, if events were processed there since its last commit."""
        return self._next_offset.get(tp)

    def pending(self) -> dict[TPT, int]:
        return dict(self._next_offset)

    def committed(self, offsets: Mapping[TPT, int]) -> None:
        """A commit carrying `offsets` succeeded."""
        for tp, offset in offsets.items():
            if self._next_offset.get(tp, -1) <= offset:
                self._next_offset.pop(tp, None)

    def forget(self, tps: Iterable[TPT] | None = None) -> None:
        """Positions no commit may carry any more (None: all): processing starts again from
        the committed offsets."""
        if tps is None:
            self._next_offset.clear()
        for tp in tps or ():
            self._next_offset.pop(tp, None)

    # the barrier

    @property
    def in_flight(self) -> int:
        return self._events.count

    @property
    def suspended(self) -> bool:
        return self._suspended

    def suspend(self) -> None:
        """Rebalance: hold every event back until `resume` (a commit cannot be waiting: the
        caller has just committed)."""
        self._suspended = True
        self._open.clear()

    def resume(self) -> None:
        self._suspended = False
        if not self._commit_lock.locked():
            self._open.set()

    @asynccontextmanager
    async def processing(self) -> AsyncIterator[None]:
        while not self._open.is_set():
            await self._open.wait()
        with self._events.track():
            yield

    @asynccontextmanager
    async def background_send(self) -> AsyncIterator[None]:
        with self._sends.track():
            yield

    async def background_idle(self) -> None:
        await self._sends.idle.wait()

    @asynccontextmanager
    async def committing(self) -> AsyncIterator[None]:
        async with self._commit_lock:
            self._open.clear()
            try:
                await self._events.idle.wait()
                yield
            finally:
                if not self._suspended:
                    self._open.set()
