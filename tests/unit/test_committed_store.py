"""Local table state holds only what Kafka committed (streams/exactly_once/committed_store.py),
on real RocksDB files: a crash loses exactly the writes of uncommitted transactions, and the
persisted offset says where the changelog takes over."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.streams import _current_event
from faust.types import TP

from streams.exactly_once.committed_store import (
    STORE_URL,
    CommittedStore,
    CommittedTables,
    committed,
    store_of,
)

CHANGELOG = "t-hub-changelog"


def _app(tmp_path: Path, guarantee: str = "exactly_once") -> Any:
    app = faust.App(
        "t",
        store=STORE_URL,
        datadir=str(tmp_path),
        processing_guarantee=guarantee,
        TableManager=CommittedTables,
    )
    app.in_worker = True  # faust's transactions are a worker's only
    return app


def _store(app: Any) -> CommittedStore:
    table = app.Table("hub", default=None, partitions=4)
    store = table.data
    assert isinstance(store, CommittedStore)
    # every partition counts as this worker's (faust asks its assignor otherwise)
    store._dbs_for_actives = lambda: iter(store._dbs.values())  # type: ignore[method-assign]
    return store


class _Event:  # faust keeps a weak reference to the current event
    message: Any


@contextmanager
def _event(partition: int) -> Iterator[None]:
    """faust's current event, as a stream sets it while an agent handles a record."""
    event = _Event()
    event.message = SimpleNamespace(partition=partition)
    token = _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)


def _on_disk(store: CommittedStore, partition: int, key: bytes) -> bytes | None:
    value: bytes | None = store._db_for_partition(partition).get(key)
    return value


def _crash(store: CommittedStore) -> None:
    """The process dies: what is in memory is gone, RocksDB's files stay."""
    for db in store._dbs.values():
        db.close()
    store._dbs.clear()


def test_a_write_is_read_back_at_once_and_reaches_disk_only_when_its_transaction_commits(
    tmp_path: Path,
) -> None:
    store = _store(_app(tmp_path))
    with _event(1):
        store._set(b"1-A", b"v1")
        assert store._get(b"1-A") == b"v1"
        assert store._contains(b"1-A")
    store.changelog_sent(TP(CHANGELOG, 1), 41)
    assert _on_disk(store, 1, b"1-A") is None
    assert store.pending() == {1: 1}
    store.committed([1])
    assert _on_disk(store, 1, b"1-A") == b"v1"
    assert store.persisted_offset(TP(CHANGELOG, 1)) == 41
    assert store.pending() == {}


def test_a_crash_keeps_what_was_committed_and_loses_what_was_not(tmp_path: Path) -> None:
    app = _app(tmp_path)
    store = _store(app)
    with _event(2):
        store._set(b"1-A", b"committed")
    store.changelog_sent(TP(CHANGELOG, 2), 7)
    store.committed([2])
    with _event(2):
        store._set(b"1-A", b"aborted")  # Kafka aborts this transaction at the crash
        store._set(b"1-B", b"aborted")
    store.changelog_sent(TP(CHANGELOG, 2), 9)
    _crash(store)
    again = _store(_app(tmp_path))
    with _event(2):
        assert again._get(b"1-A") == b"committed"
        assert again._get(b"1-B") is None
    # faust's recovery reads the changelog from here: anything committed later comes from it
    assert again.persisted_offset(TP(CHANGELOG, 2)) == 7


def test_a_delete_hides_the_key_and_is_written_down_on_commit(tmp_path: Path) -> None:
    store = _store(_app(tmp_path))
    with _event(0):
        store._set(b"1-A", b"v1")
    store.committed([0])
    with _event(0):
        store._del(b"1-A")
        assert store._get(b"1-A") is None
        assert not store._contains(b"1-A")
    assert _on_disk(store, 0, b"1-A") == b"v1"
    store.committed([0])
    assert _on_disk(store, 0, b"1-A") is None


def test_a_commit_writes_only_its_own_partitions(tmp_path: Path) -> None:
    app = _app(tmp_path)
    store = _store(app)
    with _event(1):
        store._set(b"1-A", b"p1")
    with _event(3):
        store._set(b"1-C", b"p3")
    committed(app, [1])  # what transactions.py calls after partition 1's transaction commits
    assert _on_disk(store, 1, b"1-A") == b"p1"
    assert _on_disk(store, 3, b"1-C") is None
    assert store.pending() == {3: 1}


def test_lookups_outside_an_event_and_iteration_see_pending_writes_first(tmp_path: Path) -> None:
    store = _store(_app(tmp_path))
    with _event(0):
        store._set(b"1-A", b"old")
        store._set(b"1-B", b"kept")
    store.committed([0])
    with _event(0):
        store._set(b"1-A", b"new")
        store._del(b"1-B")
    with _event(2):
        store._set(b"1-C", b"added")
    assert store._get(b"1-A") == b"new"  # a web view's lookup: no current event
    assert store._get(b"1-B") is None
    assert store._contains(b"1-C")
    assert dict(store._iteritems()) == {b"1-A": b"new", b"1-C": b"added"}
    assert sorted(store._iterkeys()) == [b"1-A", b"1-C"]
    assert store._size() == 2


def test_a_revoked_partition_keeps_its_database_for_the_revokes_final_commit(
    tmp_path: Path,
) -> None:
    # faust revokes the table's partitions before the revoke's commit (consumer.py) runs
    app = _app(tmp_path)
    store = _store(app)
    with _event(1):
        store._set(b"1-A", b"v1")
    table = SimpleNamespace(changelog_topic=SimpleNamespace(topics={CHANGELOG}))
    store.revoke_partitions(table, {TP(CHANGELOG, 1)})
    store.changelog_sent(TP(CHANGELOG, 1), 5)
    store.committed([1])
    assert _on_disk(store, 1, b"1-A") == b"v1"
    assert store.persisted_offset(TP(CHANGELOG, 1)) == 5


def test_the_table_manager_hands_each_changelog_offset_to_the_store_that_wrote_it(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    store = _store(app)
    app.tables.persist_offset_on_commit(store, TP(CHANGELOG, 2), 12)
    app.tables.persist_offset_on_commit(store, TP(CHANGELOG, 2), 11)  # acks out of order
    store.committed([2])
    assert store.persisted_offset(TP(CHANGELOG, 2)) == 12


def test_under_at_least_once_writes_go_straight_to_disk(tmp_path: Path) -> None:
    store = _store(_app(tmp_path, "at_least_once"))
    with _event(1):
        store._set(b"1-A", b"v1")
    assert _on_disk(store, 1, b"1-A") == b"v1"
    assert store.pending() == {}


def test_a_write_outside_any_event_is_refused(tmp_path: Path) -> None:
    store = _store(_app(tmp_path))
    with pytest.raises(AssertionError):
        store._set(b"1-A", b"v1")


def test_a_scan_decodes_only_the_entries_the_filter_accepts_pending_ones_included(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    store = _store(app)
    table = app.tables["hub"]
    with _event(0):
        store["A-1"] = {"sync": {"held": None}}  # serialized as the table serializes them
        store["A-2"] = {"sync": {"held": {"order_id": "O-2"}}}
    store.committed([0])
    with _event(1):
        store["A-3"] = {"sync": {"held": {"order_id": "O-3"}}}  # pending: not committed yet
    seen: list[bytes] = []

    def held(key: bytes, value: bytes) -> bool:
        seen.append(key)
        return b'"held":{' in value

    found = dict(store_of(table).scan(held))
    assert found == {
        "A-2": {"sync": {"held": {"order_id": "O-2"}}},
        "A-3": {"sync": {"held": {"order_id": "O-3"}}},
    }
    assert len(seen) == 3  # every entry looked at as bytes, only two decoded


def test_restored_records_reach_disk_with_their_offset_in_one_batch(tmp_path: Path) -> None:
    store = _store(_app(tmp_path))
    store.open_partition(3)
    store.write_restored(3, [(b"a", b"1"), (b"b", b"2"), (b"a", b"3"), (b"b", None)], 41)
    assert _on_disk(store, 3, b"a") == b"3"  # the later record of a key wins
    assert _on_disk(store, 3, b"b") is None  # a tombstone deletes
    assert store.persisted_offset(TP(CHANGELOG, 3)) == 41
    _crash(store)
    again = _store(_app(tmp_path))
    assert _on_disk(again, 3, b"a") == b"3"
    assert again.persisted_offset(TP(CHANGELOG, 3)) == 41
