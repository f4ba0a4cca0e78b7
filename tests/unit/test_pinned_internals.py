"""`make unit` fails when faust-streaming or aiokafka change an internal that
streams/exactly_once/ overrides or reads (streams/exactly_once/pinned.py)."""

from __future__ import annotations

import inspect

import pytest

from streams.exactly_once import (
    committed_store,
    consumer,
    pinned,
    restore,
    transactions,
    transport,
)


def test_every_overridden_faust_method_is_the_one_the_overrides_were_written_for() -> None:
    assert pinned.drift() == []


@pytest.mark.parametrize(
    ("klass", "base"),
    [
        (consumer.GatedConsumer, "faust.transport.consumer"),
        (transactions.StrictProducer, "faust.transport.drivers.aiokafka:Producer"),
        (transactions.EventTransactions, "faust.transport.consumer:TransactionManager"),
        (transport.App, "faust.app.base:App"),
        (committed_store.CommittedStore, "faust.stores.rocksdb:Store"),
        (committed_store.CommittedTables, "faust.tables.manager:TableManager"),
        (restore.BulkRecovery, "faust.tables.recovery:Recovery"),
    ],
)
def test_every_method_the_package_overrides_is_pinned(klass: type, base: str) -> None:
    pinned_names = {ref.rpartition(".")[2] for ref in pinned.OVERRIDDEN if ref.startswith(base)}
    own = {
        name
        for name, member in vars(klass).items()
        if inspect.isfunction(member) and not name.startswith("__")
    }
    # methods of our own (not faust's) need no pin
    faust_methods = {n for n in own if any(hasattr(b, n) for b in klass.__mro__[1:])}
    assert faust_methods <= pinned_names, faust_methods - pinned_names


def test_a_changed_source_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = "faust.transport.consumer:Consumer.force_commit"
    monkeypatch.setitem(pinned.OVERRIDDEN, ref, "0" * 16)
    assert [d for d in pinned.drift() if d.startswith(ref)]


def test_a_missing_private_attribute_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = "faust.transport.consumer:Consumer._no_such_thing"
    monkeypatch.setattr(pinned, "PRIVATE", (*pinned.PRIVATE, ref))
    assert pinned.drift() == [f"{ref}: missing"]
