"""The independent end checks of a fault run, on read_committed consumers of the real topics.

- commands: every account's commands are one CREATE_CUSTOMER first, then updates, with
  sequences 1..n (no gap, no repeat) and no command id twice anywhere;
- each input processed once: every record the workers wrote (internal topics, commands) names
  its input and output index in a header (streams/app.py `_Origin`); no origin appears twice,
  and each source record has exactly as many outputs as the pure router gives it;
- dead letters: none of the kinds that mean "processing failed";
- no transaction left open: the last stable offset equals the high watermark everywhere;
- the tables' committed state agrees with what was committed with it: the hub's with the
  commands, the history's with each account's last commands, and the orders' and refs' is, key by
  key, the fold of their agent's pure reducer over the inputs the group committed past — which
  also gives how many hub records each of those inputs must have caused.

The workload's own accounts are checked against PostgreSQL by the scenario (scenario.py).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from faust.utils import json as faust_json

from streams import topic_reader
from streams.app import HISTORY_SIZE, ORIGIN_HEADER
from streams.core import wire
from streams.core.debezium import Tombstone, parse_envelope
from streams.core.orders import OrderState, apply_order_row
from streams.core.references import ReferenceState, apply_row, apply_subscription
from streams.core.routing import route
from streams.core.source_config import SourceConfig
from streams.errors import InputError
from streams.settings import Settings
from streams.shadow_diff import differing_paths
from streams.topology import changelog_topic_names, internal_topic_names, source_topic_names
from tests.integration.pipeline import group_lag

FAILED_REASONS = {"PROCESSING_FAILED", "UNPROCESSABLE_HUB_EVENT"}


Offsets = dict[tuple[str, int], int]


def read_all(
    settings: Settings, topics: list[str], start: Offsets | None = None, timeout_s: float = 180.0
) -> Iterator[Any]:
    """Every committed record of `topics` (from `start`, default the beginning), up to their
    ends at the time of the call."""
    first = start or {}
    parts = topic_reader.partitions_of(AdminClient(settings.kafka_client_config()), topics)
    starts = {tp: first.get(tp, 0) for tp in parts}
    yield from topic_reader.read_to_end(settings, starts, timeout_s=timeout_s)


def open_transactions(settings: Settings, topics: list[str]) -> dict[tuple[str, int], int]:
    """Partitions whose last stable offset trails the high watermark, and by how much."""
    admin = AdminClient(settings.kafka_client_config())
    parts = topic_reader.partitions_of(admin, topics)
    stable = topic_reader.end_offsets(admin, parts, committed=True)
    high = topic_reader.end_offsets(admin, parts, committed=False)
    return {k: high[k] - stable[k] for k in high if high[k] != stable[k]}


@dataclass
class Findings:
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def problem(self, text: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(text)
        self.counts["problems"] += 1


def lagging(settings: Settings, source: SourceConfig) -> dict[tuple[str, int], int]:
    """Debezium partitions the app's consumer group has not processed to their end, and by how
    much. (Internal topics are left out: their end can be an aborted transaction no later
    record moves past, which a position never reaches.)"""
    return group_lag(settings, source_topic_names(settings, source))


def wait_caught_up(settings: Settings, source: SourceConfig, timeout_s: float = 180.0) -> None:
    """Until the group has processed every topic to its end (the state the end checks need)."""
    deadline = time.monotonic() + timeout_s
    while (lag := lagging(settings, source)) and time.monotonic() < deadline:
        time.sleep(2.0)
    assert not lag, (
        f"the consumer group did not catch up in {timeout_s:.0f}s: {sorted(lag.items())[:8]}"
    )


def check(
    settings: Settings,
    source: SourceConfig,
    *,
    exactly_once: bool = True,
    start: Offsets | None = None,
) -> Findings:
    """Under at-least-once a command may come again, identical (same id, same content), and
    an input may be processed again; nothing may be missing either way."""
    found = Findings()
    _check_commands(settings, found, exactly_once)
    caused = _check_origins(settings, source, found, exactly_once, start)
    _check_dead_letters(settings, found)
    internal = [*internal_topic_names(settings).values(), *changelog_topic_names(settings)]
    deadline = time.monotonic() + 30
    while (still_open := open_transactions(settings, [settings.commands_topic, *internal])) and (
        time.monotonic() < deadline
    ):
        time.sleep(1)  # a live worker's last transaction may still be on its way to commit
    for (topic, partition), lag in still_open.items():
        found.problem(f"transaction left open on {topic}[{partition}] ({lag} offsets)")
    _check_hub_state(settings, found)
    _check_history(settings, found)
    if exactly_once:  # at-least-once may apply an input twice (R9 makes that harmless)
        _check_folded_states(settings, found, caused)
    return found


def _check_hub_state(settings: Settings, found: Findings) -> None:
    """The hub table's committed state agrees with the commands: each account's last state
    carries the last sequence sent for it, and no state is synced without its create. (A state
    committed without its commands — or commands sent twice from an older state — shows here
    even where the commands alone look whole.)"""
    last = {key: values[-1] for key, values in _changelog(settings, "hub").items()}
    found.counts["hub states"] = len(last)
    for account, state in last.items():
        if state is None:
            continue
        sync = state["sync"]
        sent = [c["sequence"] for c in found.commands.get(account, [])]
        if sync["sequence"] != max(sent, default=0):
            found.problem(
                f"{account}: hub state at sequence {sync['sequence']}, commands sent up to "
                f"{max(sent, default=0)}"
            )
            found.counts["state/commands disagree"] += 1
        if sync["synced"] and not sent:
            found.problem(f"{account}: synced in the hub table, never created")


def _but_time(command: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k != "emitted_at"}


def _check_commands(settings: Settings, found: Findings, exactly_once: bool) -> None:
    registry = SchemaRegistryClient(settings.schema_registry_config())
    decode = AvroDeserializer(registry)
    ids: Counter[str] = Counter()
    copies: defaultdict[str, list[str]] = defaultdict(list)  # command id → where each copy is
    for msg in read_all(settings, [settings.commands_topic]):
        command = decode(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
        found.commands[command["siebel_account_id"]].append(command)
        ids[command["command_id"]] += 1
        found.counts[command["command_type"]] += 1
        copies[command["command_id"]].append(
            f"{command['siebel_account_id']} #{command['sequence']} at "
            f"{msg.topic()}[{msg.partition()}]@{msg.offset()} from {_origin(msg)}"
        )
    found.counts["accounts"] = len(found.commands)
    for command_id, n in ids.items():
        if n > 1 and exactly_once:
            found.problem(f"command id {command_id} {n} times: {'; '.join(copies[command_id])}")
            found.counts["duplicated"] += n - 1
    for account, commands in found.commands.items():
        if not exactly_once:  # a repeat must be the very same command
            by_id: dict[str, dict[str, Any]] = {}
            for c in commands:
                first = by_id.setdefault(c["command_id"], c)
                if _but_time(first) != _but_time(c):
                    where = differing_paths(first["customer"], c["customer"])[:5]
                    found.problem(
                        f"{account}: command {c['command_id']} re-sent different in "
                        f"{', '.join(where) or 'its envelope'} "
                        f"(copies: {'; '.join(copies[c['command_id']])})"
                    )
                    found.counts["divergent"] += 1
            found.counts["re-sent"] += len(commands) - len(by_id)
            commands[:] = list(by_id.values())
        commands.sort(key=lambda c: c["sequence"])
        sequences = [c["sequence"] for c in commands]
        if sequences != list(range(1, len(commands) + 1)):
            missing = sorted(set(range(1, max(sequences) + 1)) - set(sequences))
            found.counts["lost"] += len(missing)
            found.problem(f"{account}: sequences {_runs(sequences)} (missing {missing[:10]})")
        types = [c["command_type"] for c in commands]
        if types.count("CREATE_CUSTOMER") != 1 or types[0] != "CREATE_CUSTOMER":
            found.problem(f"{account}: {types.count('CREATE_CUSTOMER')} creates, first {types[0]}")


def _runs(values: list[int]) -> str:
    text = ",".join(map(str, values[:12]))
    return text + ("…" if len(values) > 12 else "")


def _origin(msg: Any) -> str | None:
    for key, value in msg.headers() or ():
        if key == ORIGIN_HEADER:
            return bytes(value).decode()
    return None


def _check_origins(
    settings: Settings,
    source: SourceConfig,
    found: Findings,
    exactly_once: bool,
    start: Offsets | None,
) -> Counter[str]:
    """Returns how many distinct outputs each input record caused, by `topic:partition:offset`
    (dead letters apart)."""
    outputs: Counter[str] = Counter()
    per_input: Counter[str] = Counter()
    sources = set(source_topic_names(settings, source))
    written = [*internal_topic_names(settings).values(), settings.commands_topic]
    written.append(settings.dlq_topic)
    for msg in read_all(settings, written):
        origin = _origin(msg)
        if origin is None:
            found.problem(f"{msg.topic()}[{msg.partition()}]@{msg.offset()} has no origin")
            continue
        if origin.startswith("timer:"):  # a timer's question (held creates): no input record
            found.counts[f"{origin} records"] += 1
            continue
        outputs[origin] += 1
        topic, partition, offset, index = origin.rsplit(":", 3)
        if index != "dlq" and outputs[origin] == 1:
            per_input[f"{topic}:{partition}:{offset}"] += 1
    found.counts["internal records"] = sum(outputs.values())
    for origin, n in outputs.items():
        if n > 1 and exactly_once:
            found.problem(f"output {origin} written {n} times (an input processed twice)")
    for msg in read_all(settings, sorted(sources), start):
        expected = _routed(msg, source)
        coordinates = f"{msg.topic()}:{msg.partition()}:{msg.offset()}"
        found.counts["source records"] += 1
        got = per_input[coordinates]
        if got != expected if exactly_once else got < expected:
            found.problem(f"{coordinates}: {got} outputs, expected {expected}")
    return per_input


def _routed(msg: Any, source: SourceConfig) -> int:
    try:
        change = parse_envelope(msg.key(), msg.value())
        return 0 if isinstance(change, Tombstone) else len(route(change, source))
    except InputError:
        return 0


def _check_dead_letters(settings: Settings, found: Findings) -> None:
    for msg in read_all(settings, [settings.dlq_topic]):
        record = json.loads(msg.value() or b"{}")
        reason = str(record.get("reason", "?"))
        found.counts[f"dead letter {reason}"] += 1
        if reason in FAILED_REASONS:
            found.problem(f"dead letter {reason}: {str(record.get('message', ''))[:200]}")


def _changelog(settings: Settings, table: str) -> dict[str, list[Any]]:
    """Every committed value of each key of a table's changelog, in order."""
    values: defaultdict[str, list[Any]] = defaultdict(list)
    for msg in read_all(settings, [f"{settings.app_id}-{table}-changelog"]):
        values[json.loads(msg.key())].append(json.loads(msg.value()) if msg.value() else None)
    return values


def _check_history(settings: Settings, found: Findings) -> None:
    """Each account's lookup history is its last commands, newest first (streams/app.py)."""
    history = {key: values[-1] for key, values in _changelog(settings, "history").items()}
    for account in sorted(set(history) | set(found.commands)):
        got = [c["command_id"] for c in history.get(account) or []]
        sent = [c["command_id"] for c in reversed(found.commands.get(account, []))]
        if got != sent[:HISTORY_SIZE]:
            found.problem(f"{account}: history {got[:3]}…, last commands {sent[:3]}…")
            found.counts["history/commands disagree"] += 1


def _group_offsets(settings: Settings, topics: list[str]) -> Offsets:
    admin = AdminClient(settings.kafka_client_config())
    parts = topic_reader.partitions_of(admin, topics)
    committed = topic_reader.group_offsets(admin, settings.app_id, parts)
    return {tp: offset or 0 for tp, offset in committed.items()}


def _check_folded_states(settings: Settings, found: Findings, caused: Counter[str]) -> None:
    """The orders and refs agents are pure folds (streams/core/orders.py, references.py), and
    write their key's state once per input. Under exactly-once, each key's changelog is
    therefore the fold of the inputs the group committed past: one state per input, in input
    order. Each of those inputs caused exactly the hub records the fold gives. This catches a
    state write that was lost, doubled, committed without its offsets (or the other way round),
    or written out of order; a table rebuilt from such a changelog holds some other state than
    the worker that wrote it had."""
    topics = internal_topic_names(settings)
    inputs = [topics["orders"], topics["refs"]]
    for _ in range(10):  # a live worker may commit in between: read until the offsets hold still
        offsets = _group_offsets(settings, inputs)
        states = {name: _changelog(settings, name) for name in ("orders", "refs")}
        if _group_offsets(settings, inputs) == offsets:
            break
        time.sleep(1)
    else:
        found.problem("the group's offsets on the orders and refs topics kept moving")
        return
    folded: dict[str, dict[str, Any]] = {"orders": {}, "refs": {}}
    written: dict[str, defaultdict[str, list[Any]]] = {n: defaultdict(list) for n in folded}
    for msg in read_all(settings, inputs):
        if msg.offset() >= offsets.get((msg.topic(), msg.partition()), 0):
            continue  # not processed yet (or processed in a transaction not committed yet)
        name = "orders" if msg.topic() == topics["orders"] else "refs"
        try:
            key, outputs = _fold(settings, folded[name], name, msg)
        except InputError:
            continue  # dead-lettered by the agent, no state written
        written[name][key].append(folded[name][key])
        found.counts[f"{name} inputs folded"] += 1
        coordinates = f"{msg.topic()}:{msg.partition()}:{msg.offset()}"
        if caused[coordinates] != outputs:
            found.problem(f"{coordinates} ({key}): {caused[coordinates]} outputs, folded {outputs}")
    for name, expected in written.items():
        stored = states[name]
        for key in sorted(set(expected) | set(stored)):
            got, want = stored.get(key, []), expected.get(key, [])
            # compaction may have removed a key's older records: what is left is the last ones
            if not got or got != want[len(want) - len(got) :]:
                found.problem(
                    f"{name} table, {key}: changelog is not the fold of its inputs"
                    f" ({len(got)} written, {len(want)} inputs)"
                )
                found.counts[f"{name} states disagree"] += 1


def _fold(
    settings: Settings, states: dict[str, dict[str, Any]], name: str, msg: Any
) -> tuple[str, int]:
    """Applies one input as its agent does; returns its key and how many records it sends."""
    key = bytes(msg.key()).decode()
    if name == "orders":
        row = wire.decode_order(msg.value())
        order = OrderState.from_json(states.get(key) or {})
        order, requests = apply_order_row(
            order, row.entity, row.row_id, row.row, row.source, settings.trigger_statuses
        )
        states[key] = _as_stored(order.to_json())
        return key, len(requests)
    ref = wire.decode_ref(key, msg.value())
    state = ReferenceState.from_json(states.get(key) or {})
    if isinstance(ref, wire.RefRow):
        state, answers = apply_row(state, ref.entity, ref.row_id, ref.row, ref.source)
    else:
        state, answers = apply_subscription(state, ref)
    states[key] = _as_stored(state.to_json())
    return key, len(answers)


def _as_stored(value: dict[str, Any]) -> Any:
    """As the table's codec (faust's json) writes it and the check reads it back."""
    return json.loads(faust_json.dumps(value))
