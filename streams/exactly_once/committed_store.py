"""Local table state that holds only what Kafka committed, so a crash costs seconds, not a
rebuild (quix-streams' checkpointing, Kafka Streams' transactional state stores).

faust writes a table change to RocksDB at once, while its changelog record waits in the event's
Kafka transaction; a crash aborts the transaction and leaves the write behind. Until now the
whole local state was therefore discarded after any unclean stop and rebuilt from the changelogs
(minutes for 100k customers, at every crash).

`CommittedStore` keeps the writes of events not yet committed in memory, per partition, over
faust's RocksDB store: reads see them first, so processing is unchanged. When the transaction of
a partition commits (transactions.py calls `committed`), that partition's writes go to RocksDB
in one atomic write batch together with the offset of the last changelog record the transaction
wrote (faust's "persisted offset"). A crash loses only the writes of uncommitted transactions —
exactly what Kafka aborts — and at the next start faust's recovery reads the changelog from the
persisted offset on: the records committed after the last batch reached the disk (a crash
between Kafka's commit and the batch) come from there.

Under at-least-once the store is faust's, unchanged (writes go straight to RocksDB).

`CommittedTables` is faust's TableManager with the one hook this needs: under exactly-once faust
remembers each changelog record's offset in `persist_offset_on_commit`, then looks it up on
commit under the *source* partition, where it never finds it (its keys are changelog
partitions); here the offset goes to the store that wrote the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from faust.stores import STORES
from faust.stores import rocksdb as faust_rocksdb
from faust.streams import current_event
from faust.tables.manager import TableManager
from faust.types import TP, StoreT

from streams.exactly_once.restore import BulkRecovery

STORE_URL = "committed://"
STORES.aliases["committed"] = f"{__name__}:CommittedStore"


class CommittedStore(faust_rocksdb.Store):
    """faust's RocksDB store with the writes of uncommitted transactions held in memory.

    Replaces `_set`, `_del`, `_get`, `_contains`, `_iterkeys`, `_itervalues`, `_iteritems`,
    `_size` (each reads the pending writes first, then faust's) and `revoke_partitions` of
    faust/stores/rocksdb.py; adds `changelog_sent`, `committed` and `pending`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[int, dict[bytes, bytes | None]] = {}  # partition → key → value
        self._sent: dict[int, int] = {}  # partition → its changelog's last offset written

    @property
    def _held(self) -> bool:
        return bool(self.app.in_transaction)

    # what transactions.py and CommittedTables call

    def changelog_sent(self, tp: TP, offset: int) -> None:
        """A changelog record of this table was acknowledged at `offset` (in an open
        transaction of its partition)."""
        if offset > self._sent.get(tp.partition, -1):
            self._sent[tp.partition] = offset

    def committed(self, partitions: Iterable[int]) -> None:
        """The transactions of `partitions` committed: their writes and changelog offsets go to
        RocksDB, atomically per partition."""
        for partition in partitions:
            writes = self._pending.pop(partition, None)
            offset = self._sent.pop(partition, None)
            if not writes and offset is None:
                continue
            self._write_down(partition, (writes or {}).items(), offset)

    def open_partition(self, partition: int) -> None:
        """Open the partition's database (faust opens it on first use) before `write_restored`
        is called from another thread."""
        self._db_for_partition(partition)

    def write_restored(
        self, partition: int, writes: Iterable[tuple[bytes, bytes | None]], offset: int
    ) -> None:
        """Committed changelog records read by restore.py, up to the one at `offset`: written
        with that offset in one batch, as faust's `apply_changelog_batch` writes them. Called
        from the restore's thread on a partition opened by `open_partition`."""
        self._write_down(partition, writes, offset)

    def _write_down(
        self, partition: int, writes: Iterable[tuple[bytes, bytes | None]], offset: int | None
    ) -> None:
        batch = self._write_batch()
        for key, value in writes:
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        if offset is not None:
            batch.put(self.offset_key, str(offset).encode())
        self._db_for_partition(partition).write(batch)

    def pending(self) -> dict[int, int]:
        """Partition → number of writes not committed yet."""
        return {p: len(w) for p, w in self._pending.items() if w}

    # faust's store methods, pending writes first

    def _set(self, key: bytes, value: bytes | None) -> None:
        if not self._held:
            super()._set(key, value)
            return
        event = current_event()
        assert event is not None  # faust's own rule: a table is written by an event
        partition = event.message.partition
        self._key_index[key] = partition
        self._pending.setdefault(partition, {})[key] = value

    def _del(self, key: bytes) -> None:
        if not self._held:
            super()._del(key)
            return
        event = current_event()
        assert event is not None
        self._pending.setdefault(event.message.partition, {})[key] = None

    def _pending_value(self, key: bytes) -> tuple[bool, bytes | None]:
        """(found, value) among the pending writes: of the current event's partition when
        there is one, else of any partition (a web view's lookup)."""
        event = current_event()
        if event is not None:
            writes = self._pending.get(event.message.partition)
            if writes is not None and key in writes:
                return True, writes[key]
            return False, None
        for writes in self._pending.values():
            if key in writes:
                return True, writes[key]
        return False, None

    def _get(self, key: bytes) -> bytes | None:
        found, value = self._pending_value(key)
        return value if found else super()._get(key)

    def _contains(self, key: bytes) -> bool:
        found, value = self._pending_value(key)
        return value is not None if found else bool(super()._contains(key))

    def _overlay(self) -> dict[bytes, bytes | None]:
        merged: dict[bytes, bytes | None] = {}
        for writes in self._pending.values():
            merged.update(writes)
        return merged

    def _iteritems(self) -> Iterator[tuple[bytes, bytes]]:
        overlay = self._overlay()
        for key, value in super()._iteritems():
            if key not in overlay:
                yield key, value
        for key, pending in overlay.items():
            if pending is not None:
                yield key, pending

    def scan(self, wanted: Callable[[bytes, bytes], bool]) -> Iterator[tuple[Any, Any]]:
        """(key, value) decoded, of the entries whose stored bytes `wanted` accepts: a scan of
        a large table that decodes only its candidates (faust's `items()` decodes every one;
        100,000 hub values block the event loop for seconds)."""
        for key, value in self._iteritems():
            if wanted(key, value):
                yield self._decode_key(key), self._decode_value(value)

    def _iterkeys(self) -> Iterator[bytes]:
        for key, _ in self._iteritems():
            yield key

    def _itervalues(self) -> Iterator[bytes]:
        for _, value in self._iteritems():
            yield value

    def _size(self) -> int:
        return sum(1 for _ in self._iteritems())

    def revoke_partitions(self, table: Any, tps: set[TP]) -> None:
        """faust closes a revoked partition's database here, before the revoke's final commit
        (consumer.py) has run: its pending writes would then have nowhere to go, and reopening
        it under the old handle's lock fails. Here it stays open and its writes pending; the
        commit writes them down (or, if the worker fails first, they are never written). A
        worker's data directory is its own, so no other worker waits for the lock."""

    def _write_batch(self) -> Any:
        # faust's choice of binding (apply_changelog_batch)
        if self.use_rocksdict:
            return faust_rocksdb.rocksdict.WriteBatch(raw_mode=True)
        return faust_rocksdb.rocksdb.WriteBatch()


class CommittedTables(TableManager):
    """faust's TableManager; a changelog offset written by a CommittedStore goes to it, and
    recovery reads the changelogs with librdkafka first (restore.py).

    Extends `persist_offset_on_commit` and replaces `recovery` (faust/tables/manager.py)."""

    @property
    def recovery(self) -> Any:
        if self._recovery is None:
            self._recovery = BulkRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery

    def persist_offset_on_commit(self, store: StoreT, tp: TP, offset: int) -> None:
        if isinstance(store, CommittedStore):
            store.changelog_sent(tp, offset)
            return
        super().persist_offset_on_commit(store, tp, offset)


def committed(app: Any, partitions: Iterable[int]) -> None:
    """The transactions of `partitions` committed: every table's store writes them down."""
    numbers = set(partitions)
    for table in app.tables.values():
        store = table.data
        if isinstance(store, CommittedStore):
            store.committed(numbers)


def store_of(table: Any) -> CommittedStore:
    """A table's store (transport.App gives every table one of these)."""
    store = table.data
    if not isinstance(store, CommittedStore):
        raise TypeError(f"table {table.name}'s store is {type(store).__name__}, not CommittedStore")
    return store
