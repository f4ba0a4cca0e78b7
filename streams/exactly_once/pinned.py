"""The faust-streaming and aiokafka internals this package relies on, pinned.

`OVERRIDDEN` are faust methods replaced or extended here, and the faust methods whose behaviour
the replacements assume (e.g. that faust's revoke handling commits before ours runs); each is
pinned by a hash of its source, so an upgrade that changes one fails `make unit`
(tests/unit/test_pinned_internals.py) instead of silently breaking exactly-once. `PRIVATE` are
private attributes read or called; each must still exist. Versions: faust-streaming 0.15.3,
aiokafka 0.14.0 (both pinned in pyproject.toml).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any

# "module:Class.method" → first 16 hex digits of sha256 of inspect.getsource()
OVERRIDDEN: dict[str, str] = {
    # replaced in consumer.py
    "faust.transport.consumer:Consumer.force_commit": "cc094614d22c70fb",
    "faust.transport.consumer:Consumer._new_offset": "1d2c7ea89a7ad4f1",
    "faust.transport.consumer:Consumer._filter_tps_with_pending_acks": "f6f9239774234e7e",
    "faust.transport.consumer:Consumer.getmany": "4b168d84882a70d6",
    "faust.transport.consumer:Consumer.on_partitions_revoked": "d04b7ae72c6fc206",
    "faust.transport.consumer:Consumer.on_partitions_assigned": "29ce96596f05a18c",
    "faust.transport.consumer:ThreadDelegateConsumer.seek_wait": "e9db5bbc4ceb2543",
    "faust.transport.consumer:ThreadDelegateConsumer.seek_to_committed": "f1d483b861b0328b",
    "faust.transport.consumer:ThreadDelegateConsumer.highwaters": "3a2723b22582ffb7",
    "faust.transport.consumer:ThreadDelegateConsumer._seek": "4f95c631420410a5",
    "faust.transport.consumer:ThreadDelegateConsumer.position": "a7f22b78f21d085a",
    "faust.transport.consumer:Consumer._commit_handler": "4e5da5df073082d6",
    # replaced in transactions.py
    "faust.transport.drivers.aiokafka:Producer.begin_transaction": "970978bd2a00bb12",
    "faust.transport.drivers.aiokafka:Producer.maybe_begin_transaction": "3457d161832d684e",
    "faust.transport.drivers.aiokafka:Producer.commit_transactions": "70091e6f431974e9",
    "faust.transport.drivers.aiokafka:Producer.stop_transaction": "ba24cb80581302aa",
    "faust.transport.drivers.aiokafka:Producer.on_start": "219c9a7a785d77b2",
    "faust.transport.drivers.aiokafka:Producer.send": "0b5bd08f52e5e2a9",
    "faust.transport.consumer:TransactionManager.send": "b8d126be9f10fc69",
    "faust.transport.consumer:TransactionManager.commit": "fbb29c3467ac8bfa",
    # replaced in transport.py
    "faust.app.base:App._new_transport": "42db531312dd776f",
    "faust.app.base:App._new_producer_transport": "eb3b4aa6a8961275",
    "faust.app.base:App.on_first_start": "ec655d9c223403cc",
    # replaced in committed_store.py
    "faust.stores.rocksdb:Store._set": "4227e561e288d941",
    "faust.stores.rocksdb:Store._del": "07f42ff3caefffdd",
    "faust.stores.rocksdb:Store._get": "7ae8dfd6d7754a59",
    "faust.stores.rocksdb:Store._contains": "bd7d4e5252a71b9a",
    "faust.stores.rocksdb:Store._iterkeys": "12ecc1051cc5505d",
    "faust.stores.rocksdb:Store._itervalues": "d5802aa80d0dd652",
    "faust.stores.rocksdb:Store._iteritems": "833c2185cbdd1bee",
    "faust.stores.rocksdb:Store._size": "a9defe8e57f7be31",
    "faust.stores.rocksdb:Store.revoke_partitions": "3f85447a24fc34ff",
    "faust.tables.manager:TableManager.persist_offset_on_commit": "37094efa77c98e15",
    "faust.tables.manager:TableManager.recovery": "f0bf5de78b4c3d23",
    # extended in restore.py
    "faust.tables.recovery:Recovery._build_offsets": "27eec86be06cb51f",
    "faust.tables.recovery:Recovery.on_stop": "766b9af50a72dc22",
    # restore.py's offsets and highwaters are faust's: the last record applied, the last to
    # apply; it seeks to the offset and skips what it has applied; a step past its timeout
    # stops the recovery service (so the restore's budget stays below it)
    "faust.tables.recovery:Recovery._seek_offsets": "19598ca63d94d250",
    "faust.tables.recovery:Recovery._wait": "ec7429b70176f8c6",
    "faust.tables.recovery:Recovery._restart_recovery": "6bd8a8558a2dffe4",
    # relied on as they are
    # recovery writes committed changelog records straight to RocksDB with their offset, in
    # the key and format committed_store.py writes it
    "faust.stores.rocksdb:Store.apply_changelog_batch": "ea3344d369fc4ab5",
    "faust.stores.rocksdb:Store.set_persisted_offset": "b4c811926678346e",
    "faust.stores.rocksdb:Store.persisted_offset": "6f2e502fb86043a1",
    "faust.stores.rocksdb:Store.stop": "2e98db0eb7c7582b",
    # hands each changelog record's offset to persist_offset_on_commit under exactly-once
    "faust.tables.base:Collection._on_changelog_sent": "60122c86a120d82c",
    # takes `highwater - 1` as the last offset to read (consumer.py's `highwaters`)
    "faust.tables.recovery:Recovery._build_highwaters": "91b4cc0d3724ae7b",
    "faust.app.base:App._on_partitions_revoked": "d5c895bbe57dc73a",
    "faust.app.base:App._on_partitions_assigned": "de932b7927db85b3",
    "faust.transport.consumer:TransactionManager.on_rebalance": "2c190b35003af25c",
    "faust.transport.consumer:Consumer.wait_empty": "e4662fe24f094819",
    "faust.transport.consumer:Consumer._commit_tps": "a20e230b05ae8b15",
    "faust.transport.consumer:Consumer._commit_offsets": "1a69799041188441",
    "faust.transport.consumer:Consumer.perform_seek": "0e8c130ff4b0afd8",
    # its "Aborted tx until highwater" check is what consumer.py's `position` answers
    "faust.tables.recovery:Recovery._slurp_changelogs": "7825c7e50f766d5a",
    "faust.transport.drivers.aiokafka:ConsumerRebalanceListener.on_partitions_assigned": (
        "1c1f8406ad3698a6"
    ),
    "faust.transport.producer:ProducerBuffer._send_pending": "4a9d5f932b56bc68",
    "faust.transport.producer:ProducerBuffer.flush": "26fbebb124ad9c98",
    # consumer.py's drain waits for it: one table write at a time, in order, each followed by
    # `message_sent`; a stopping buffer's task takes no more
    "faust.transport.producer:ProducerBuffer._handle_pending": "78d648030fd21016",
    # relied on as it is: its mode `stampede` sleeps on the event loop in every send, which is
    # why two senders of table writes reorder them (consumer.py's drain)
    "faust.app.base:App.maybe_start_producer": "776ccefb9db5a370",
    # the consumer (its commit timer, the revoke that commits at shutdown) stops before the
    # producer and the table-write buffer it owns: no commit can come after the buffer's task is
    # cancelled, so a write the task had taken and not sent is in no committed transaction
    "faust.app.base:BootStrategy.server": "97e47ea1dec34b55",
    # its commit-livelock check reads each partition's last commit from `tp_last_committed_at`,
    # which transactions.py's commit sets (faust's own `_commit` is not used under exactly-once)
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.verify_event_path": "b983e7735f647cb3",
}

# "module:Class.attribute" read or called, with no source pinned
PRIVATE: tuple[str, ...] = (
    # committed_store.py's `scan` decodes what it keeps as faust's table views do
    "faust.stores.base:SerializedStore._decode_key",
    "faust.stores.base:SerializedStore._decode_value",
    "faust.transport.consumer:Consumer._wait_next_records",
    "faust.transport.consumer:Consumer._read_offset",
    "faust.transport.consumer:Consumer._buffered_partitions",
    "faust.transport.consumer:Consumer.scheduler",
    "faust.transport.consumer:Consumer.flow_active",
    "faust.transport.consumer:Consumer._acked",
    "faust.transport.consumer:Consumer._acked_index",
    "faust.transport.consumer:Consumer._gap",
    "faust.transport.consumer:Consumer._committed_offset",
    "faust.transport.drivers.aiokafka:Consumer._to_message",
    "faust.transport.drivers.aiokafka:Consumer._thread",
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._ensure_consumer",
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.call_thread",
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.tp_last_committed_at",
    "faust.transport.drivers.aiokafka:Producer._transaction_producers",
    "faust.transport.drivers.aiokafka:Producer._trn_locks",
    "faust.transport.drivers.aiokafka:Producer._new_producer",
    "faust.tables.manager:TableManager.changelog_queue",
    "faust.stores.rocksdb:Store._dbs",
    "faust.tables.manager:TableManager._recovery",
    "faust.tables.recovery:Recovery.tp_to_table",
    "faust.tables.recovery:Recovery.active_highwaters",
    "faust.stores.rocksdb:Store._key_index",
    "faust.stores.rocksdb:Store._db_for_partition",
    "faust.stores.rocksdb:Store.use_rocksdict",
    "faust.stores.rocksdb:Store.offset_key",
    "mode.utils.imports:FactoryMapping.aliases",  # faust.stores.STORES: the store by URL
    "faust.transport.producer:ProducerBuffer.pending",
    "faust.transport.producer:ProducerBuffer.message_sent",
    "faust.transport.producer:ProducerBuffer.size",
    "faust.assignor.partition_assignor:PartitionAssignor.group_for_topic",
    "faust.transport.consumer:TransactionManager.transactional_id_format",
    "aiokafka.producer.producer:AIOKafkaProducer._txn_manager",
    "aiokafka.producer.producer:AIOKafkaProducer.send_offsets_to_transaction",
    "aiokafka.producer.transaction_manager:TransactionManager.is_in_transaction",
    "aiokafka.producer.transaction_manager:TransactionManager.is_empty_transaction",
    # membership.py: the task that runs the group membership, and where it is kept
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._consumer",
    "aiokafka.consumer.consumer:AIOKafkaConsumer._coordinator",
    "aiokafka.consumer.group_coordinator:GroupCoordinator._coordination_task",
    "aiokafka.consumer.group_coordinator:GroupCoordinator._closing",
)


def _resolve(ref: str) -> tuple[type, str]:
    module, _, path = ref.partition(":")
    cls_name, _, attr = path.rpartition(".")
    obj: Any = importlib.import_module(module)
    for part in cls_name.split("."):
        obj = getattr(obj, part)
    return obj, attr


def source_hash(ref: str) -> str:
    cls, attr = _resolve(ref)
    func = cls.__dict__[attr]
    func = getattr(func, "fun", func)  # a mode ServiceTask wraps its coroutine function
    func = getattr(func, "fget", func)  # a property: its getter
    source = inspect.getsource(getattr(func, "__wrapped__", func))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def has_attribute(ref: str) -> bool:
    """On the class, declared in its annotations, or assigned in its __init__/__post_init__."""
    cls, attr = _resolve(ref)
    for klass in cls.__mro__:
        if attr in vars(klass) or attr in getattr(klass, "__annotations__", {}):
            return True
        for name in ("__init__", "__post_init__"):
            init = vars(klass).get(name)
            try:
                if init is not None and f"self.{attr} =" in inspect.getsource(init):
                    return True
            except (OSError, TypeError):
                continue
    return False


def drift() -> list[str]:
    """What no longer matches the versions the overrides were written against."""
    changed = [
        f"{ref}: source changed (hash {source_hash(ref)}, pinned {pinned})"
        for ref, pinned in OVERRIDDEN.items()
        if source_hash(ref) != pinned
    ]
    missing = [f"{ref}: missing" for ref in PRIVATE if not has_attribute(ref)]
    return changed + missing
