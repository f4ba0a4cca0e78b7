"""The Faust app: topics, tables and the four agents of DESIGN §5. Agents only decode, call the
pure core (`streams.core`) and send; every decision is made there.

    Debezium topics ─normalise─▶ orders-events ─orders─▶ hub-events
                             ├─▶ refs-events ─refs─────▶ hub-events
                             └─▶ hub-events ─hub─▶ ccb.customer.commands (Avro)
                                                 ├─▶ refs-events (subscriptions)
                                                 └─▶ siebel-ccb-sync.dlq (alerts)

Start with `faust -A streams.app worker -l info` (or `make run`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from streams import dead_letter, metrics
from streams.avro_codec import CommandSerializer, subject_for
from streams.core import wire
from streams.core.codes import CodeMaps
from streams.core.debezium import Tombstone, parse_envelope
from streams.core.events import HeldCheck, RowEvent
from streams.core.orders import OrderState, apply_order_row
from streams.core.reducer import HubContext, encoding_failed, reduce
from streams.core.references import ReferenceState, apply_row, apply_subscription
from streams.core.routing import route
from streams.core.source_config import SourceConfig
from streams.core.state import CustomerState
from streams.dead_letter import Coordinates
from streams.errors import InputError
from streams.exactly_once import App, check_copartitioned, process_stream
from streams.exactly_once.committed_store import store_of
from streams.faust_options import app_options
from streams.inspection import may_be_held
from streams.lag import records_behind
from streams.settings import Settings
from streams.topology import internal_topic_names, partition_counts, source_topic_names

log = logging.getLogger(__name__)

settings = Settings.from_env()
source_config = SourceConfig.load()
codes = CodeMaps.load(Path(settings.code_maps_file)) if settings.code_maps_file else CodeMaps.load()
hub_ctx = HubContext(codes=codes, eligible_classes=settings.eligible_classes)
stats: Counter[str] = Counter()
# Accounts with a held create on this worker's partitions: kept current by the hub agent and
# recounted after each rebalance, so the stats view never scans the table (it is polled).
held_accounts: set[str] = set()
_EMPTY = CustomerState().to_json()


def _check_partitions() -> None:
    """Refuse to start on topics of different partition counts (exactly_once/partitions.py)."""
    check_copartitioned(partition_counts(settings, source_config), settings.partitions)


app = App(
    settings.app_id,
    before_start=_check_partitions,
    admin_config=settings.kafka_client_config,
    **app_options(settings),
)


def _raw_topic(*names: str, internal: bool = False) -> faust.TopicT:
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions if internal else None,
        internal=internal,
    )


internal = internal_topic_names(settings)
source_topic = _raw_topic(*source_topic_names(settings, source_config))
orders_topic = _raw_topic(internal["orders"], internal=True)
refs_topic = _raw_topic(internal["refs"], internal=True)
hub_topic = _raw_topic(internal["hub"], internal=True)
commands_topic = _raw_topic(settings.commands_topic)
dlq_topic = _raw_topic(settings.dlq_topic)

hub_table = app.Table("hub", default=None, partitions=settings.partitions)
orders_table = app.Table("orders", default=None, partitions=settings.partitions)
refs_table = app.Table("refs", default=None, partitions=settings.partitions)
# account → its last commands, newest first (the customer lookup, streams/web.py); written only
# when the hub sends a command
history_table = app.Table("history", default=None, partitions=settings.partitions)
HISTORY_SIZE = 10
# the offset guard tracks the partitions agents read, not the changelogs tables read
app.eos.guard.watch([*source_topic_names(settings, source_config), *internal.values()])

_serializer: CommandSerializer | None = None
Handler = Callable[[faust.EventT], Awaitable[None]]


def command_serializer() -> CommandSerializer:
    """Looks the schema up once; an unregistered schema is a deployment error (ConfigError)."""
    global _serializer  # one per worker process
    if _serializer is None:
        client = SchemaRegistryClient(settings.schema_registry_config())
        _serializer = CommandSerializer(client, subject_for(settings.commands_topic))
    return _serializer


def _coordinates(event: faust.EventT) -> Coordinates:
    message = event.message
    return Coordinates(message.topic, message.partition, message.offset)


def _key(event: faust.EventT) -> str:
    key = event.message.key
    if not key:
        raise InputError("internal record without a key")
    return bytes(key).decode()


ORIGIN_HEADER = "x-sync-origin"
# what a timer writes has no input record: its origin says which timer (the held-create check)
TIMER_ORIGIN = [(ORIGIN_HEADER, b"timer:held_check")]


class _Origin:
    """Headers naming where an output comes from: the input record and the output's index.

    Each input is processed once, so no two committed records carry the same origin; the fault
    harness (tests/reliability/) checks exactly that on every internal topic and the commands.
    """

    def __init__(self, event: faust.EventT) -> None:
        message = event.message
        self._prefix = f"{message.topic}:{message.partition}:{message.offset}:"
        self._n = 0

    def __call__(self) -> list[tuple[str, bytes]]:
        self._n += 1
        return [(ORIGIN_HEADER, f"{self._prefix}{self._n}".encode())]


async def _dead_letter(reason: str, exc: BaseException, event: faust.EventT) -> None:
    at = _coordinates(event)
    log.warning("dead letter %s from %s: %s", reason, at, exc)
    stats["dead_letters"] += 1
    metrics.DEAD_LETTERS.labels(reason).inc()
    record = dead_letter.dead_letter(reason, exc, at, event.message.key, event.message.value)
    origin = [(ORIGIN_HEADER, f"{at.topic}:{at.partition}:{at.offset}:dlq".encode())]
    await dlq_topic.send(key=event.message.key, value=dead_letter.encode(record), headers=origin)


@app.task
async def check_schema_registered() -> None:
    command_serializer()  # fail at start-up, not at the first command


async def _each(stream: faust.StreamT, handle: Handler) -> None:
    """Run `handle` per event, exactly once; bad input is dead-lettered, anything else stops
    the worker without committing past the event (streams/exactly_once/runtime.py)."""

    async def on_bad_input(exc: Exception, event: faust.EventT) -> None:
        log.warning("processing %s failed on its content", _coordinates(event), exc_info=exc)
        await _dead_letter("PROCESSING_FAILED", exc, event)

    async def counted(event: faust.EventT) -> None:
        await handle(event)
        metrics.EVENTS.labels(event.message.topic).inc()

    await process_stream(stream, counted, on_bad_input)


@app.timer(interval=10.0)  # two looks without progress: 10-20 s after a loss at the end
async def refetch_stalled() -> None:
    await app.eos.refetch_stalled()


@app.timer(interval=5.0)  # a worker whose membership died would hang unseen (membership.py)
async def watch_membership() -> None:
    await app.eos.check_membership()


@app.agent(source_topic)
async def normalise(stream: faust.StreamT) -> None:
    await _each(stream, _normalise)


@app.agent(orders_topic)
async def orders(stream: faust.StreamT) -> None:
    await _each(stream, _orders)


@app.agent(refs_topic)
async def references(stream: faust.StreamT) -> None:
    await _each(stream, _references)


@app.agent(hub_topic)
async def hub(stream: faust.StreamT) -> None:
    await _each(stream, _hub)


async def _normalise(event: faust.EventT) -> None:
    """Debezium envelope → typed change → messages for the agents that own the rows."""
    origin = _Origin(event)
    stats["events_in"] += 1
    message = event.message
    try:
        change = parse_envelope(message.key, message.value)
        if isinstance(change, Tombstone):
            return  # compaction marker; the delete before it carried the change
        routed = route(change, source_config)
    except InputError as exc:
        await _dead_letter("UNREADABLE_SOURCE_EVENT", exc, event)
        return
    for r in routed:
        if r.agent == "orders":
            order = wire.OrderRow(r.entity, r.row_id, r.row, change.source)
            await orders_topic.send(
                key=r.key.encode(), value=wire.encode_order(order), headers=origin()
            )
        elif r.agent == "hub":
            row = RowEvent(r.entity, r.row_id, r.row, change.source)
            await hub_topic.send(key=r.key.encode(), value=wire.encode_hub(row), headers=origin())
        else:
            ref = wire.RefRow(r.entity, r.key, r.row, change.source)
            await refs_topic.send(
                key=wire.ref_key(r.entity, r.key), value=wire.encode_ref(ref), headers=origin()
            )


async def _before_state_write(outputs: list[Awaitable[Any]]) -> None:
    """An agent writes its new state only once its outputs are safe.

    Under exactly-once both go into one transaction, so the order does not matter. Under
    at-least-once a table write reaches RocksDB at once while sends wait in the producer: a
    crash in between would leave state that says "sent" for a command that never left, and
    reprocessing would find nothing to send. Waiting for Kafka's acks first turns that case
    into an identical re-send, which is what at-least-once promises.
    """
    if not app.in_transaction:
        for delivery in outputs:
            await delivery


async def _orders(event: faust.EventT) -> None:
    origin = _Origin(event)
    order_id = _key(event)
    msg = wire.decode_order(event.message.value)
    state = OrderState.from_json(orders_table.get(order_id) or {})
    state, requests = apply_order_row(
        state, msg.entity, msg.row_id, msg.row, msg.source, settings.trigger_statuses
    )
    outputs = [
        await hub_topic.send(
            key=account_id.encode(), value=wire.encode_hub(request), headers=origin()
        )
        for account_id, request in requests
    ]
    await _before_state_write(outputs)
    orders_table[order_id] = state.to_json()


async def _references(event: faust.EventT) -> None:
    origin = _Origin(event)
    ref_key = _key(event)
    msg = wire.decode_ref(ref_key, event.message.value)
    state = ReferenceState.from_json(refs_table.get(ref_key) or {})
    if isinstance(msg, wire.RefRow):
        state, answers = apply_row(state, msg.entity, msg.row_id, msg.row, msg.source)
    else:
        state, answers = apply_subscription(state, msg)
    outputs = [
        await hub_topic.send(
            key=account_id.encode(), value=wire.encode_hub(answer), headers=origin()
        )
        for account_id, answer in answers
    ]
    await _before_state_write(outputs)
    refs_table[ref_key] = state.to_json()


async def _hub(event: faust.EventT) -> None:
    origin = _Origin(event)
    account_id = _key(event)
    try:
        hub_event = wire.decode_hub(event.message.value)
        state = CustomerState.from_json(hub_table.get(account_id) or _EMPTY)
        outcome = reduce(account_id, state, hub_event, hub_ctx, datetime.now(UTC))
    except (InputError, ValueError, KeyError) as exc:
        await _dead_letter("UNPROCESSABLE_HUB_EVENT", exc, event)
        return
    serializer = command_serializer()  # a registry failure is not bad input: it stops the worker
    try:  # every command encoded before anything is sent
        payloads = [serializer(command) for command in outcome.commands]
    except (ValueError, TypeError, KeyError) as exc:  # content that does not fit the schema
        outcome = encoding_failed(account_id, state, outcome, str(exc))
        payloads = []
    outputs = []
    for command, payload in zip(outcome.commands, payloads, strict=True):
        outputs.append(
            await commands_topic.send(key=account_id.encode(), value=payload, headers=origin())
        )
        stats[command["command_type"]] += 1
        metrics.command_sent(command)
    for sub in outcome.subscriptions:
        key, value = wire.ref_key(sub.entity, sub.ref_id), wire.encode_ref(sub)
        outputs.append(await refs_topic.send(key=key, value=value, headers=origin()))
    for alert in outcome.alerts:
        stats["alerts"] += 1
        metrics.ALERTS.labels(alert.reason).inc()
        record = dead_letter.alert_record(
            alert, _coordinates(event), event.message.key, event.message.value
        )
        outputs.append(
            await dlq_topic.send(
                key=event.message.key, value=dead_letter.encode(record), headers=origin()
            )
        )
    await _before_state_write(outputs)
    hub_table[account_id] = outcome.state.to_json()
    if settings.trace:
        log.info(
            "trace %s gen %s %s seq %d→%d sent %s",
            _coordinates(event),
            app.consumer_generation_id,
            account_id,
            state.sync.sequence,
            outcome.state.sync.sequence,
            [f"{c['command_type']}#{c['sequence']}" for c in outcome.commands],
        )
    if outcome.commands:
        history_table[account_id] = _history(history_table.get(account_id), outcome.commands)
    if outcome.state.sync.held is not None:
        held_accounts.add(account_id)
    else:
        held_accounts.discard(account_id)
    metrics.HELD.set(len(held_accounts))


def _history(before: list[dict[str, Any]] | None, sent_now: list[dict[str, Any]]) -> list[Any]:
    """The account's last commands, newest first, as the lookup shows them."""
    sent = [
        {
            "command_id": c["command_id"],
            "command_type": c["command_type"],
            "sequence": c["sequence"],
            "changed_sections": c["changed_sections"],
            "emitted_at": c["emitted_at"].isoformat(),
            "source_table": (c.get("source") or {}).get("table"),
        }
        for c in reversed(sent_now)
    ]
    return (sent + list(before or []))[:HISTORY_SIZE]


def held_states() -> Iterator[tuple[str, dict[str, Any]]]:
    """Hub states on this worker's partitions with a held create (a full scan of the table,
    decoding only the values that can hold one)."""
    return ((k, v) for k, v in store_of(hub_table).scan(may_be_held) if v and v["sync"]["held"])


@app.on_rebalance_complete.connect
async def recount_held(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
    """Partitions moved and their tables are recovered: recount from what this worker owns."""
    held_accounts.clear()
    held_accounts.update(key for key, _ in held_states())
    metrics.HELD.set(len(held_accounts))


@app.timer(interval=min(60.0, settings.held_alert_after / 4))
async def check_held_creates() -> None:
    """Ask the hub about creates held too long (R7); the hub answers with one alert each. A
    question is an event, so the alert is sent exactly once like any other output.

    Not while the app is behind on what it reads (`SYNC_HELD_ALERT_MAX_LAG`): in a catch-up a
    create waits for rows queued in the app's own backlog, and a go-live snapshot raised an
    alert for 72 % of its creates that way (bench/RESULTS.md, session 13). They are asked
    about once it has caught up, when a create still held is missing something in Siebel."""
    now = datetime.now(UTC)
    due = [account_id for account_id in sorted(held_accounts) if _alert_due(account_id, now)]
    if not due:
        return
    try:
        behind = await asyncio.to_thread(_records_behind)
    except Exception as exc:  # noqa: BLE001 - Kafka not answering: ask again at the next run
        log.warning("%d held creates are due an alert; lag unknown (%r), not yet", len(due), exc)
        return
    if behind > settings.held_alert_max_lag:
        log.info(
            "%d held creates are due an alert, but the app is %d records behind "
            "(SYNC_HELD_ALERT_MAX_LAG=%d): what they wait for may be queued; alerting once "
            "caught up",
            len(due),
            behind,
            settings.held_alert_max_lag,
        )
        return
    for account_id in due:
        check = HeldCheck(settings.held_alert_after, now.isoformat())
        await hub_topic.send(
            key=account_id.encode(), value=wire.encode_hub(check), headers=TIMER_ORIGIN
        )


def _alert_due(account_id: str, now: datetime) -> bool:
    sync = (hub_table.get(account_id) or {}).get("sync") or {}
    since = sync.get("held_since")
    if not since or "CREATE_HELD_TOO_LONG" in (sync.get("alerted") or {}):
        return False
    return (now - datetime.fromisoformat(since)).total_seconds() >= settings.held_alert_after


@functools.cache
def _lag_admin() -> AdminClient:
    return AdminClient(settings.kafka_client_config())


def _records_behind() -> int:
    """The app's lag on every topic it reads (run on a thread: Kafka round trips)."""
    topics = [*source_topic_names(settings, source_config), *internal.values()]
    return records_behind(settings, topics, _lag_admin())


# the operator commands (`faust -A streams.app seed …`) and the web views register on this app
from streams import commands, web  # noqa: E402, F401
