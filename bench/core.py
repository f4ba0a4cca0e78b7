"""(c) of issue #12: the pure core alone, in memory — what the Faust agents do per event, with no
Kafka: parse the Debezium envelope, route, pass each internal message through its wire form
(streams/core/wire.py), read and write each table value as JSON (as faust's tables store them),
reduce, and encode each command in Avro (schemaless, as the registry serializer's body).

    python -m bench.core [--customers 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import fastavro
import orjson

from bench.generate import Event, events
from streams.avro_codec import SCHEMA_FILE
from streams.core import wire
from streams.core.codes import CodeMaps
from streams.core.debezium import Tombstone, parse_envelope
from streams.core.events import HubEvent, RowEvent
from streams.core.orders import OrderState, apply_order_row
from streams.core.reducer import HubContext, reduce
from streams.core.references import ReferenceState, apply_row, apply_subscription
from streams.core.routing import route
from streams.core.source_config import SourceConfig
from streams.core.state import CustomerState

EMPTY = orjson.dumps(CustomerState().to_json())


def _dumps(value: Any) -> bytes:
    """A table value as faust stores it (its json codec uses orjson when installed)."""
    return orjson.dumps(value, default=str)


Sink = Callable[[str, dict[str, Any]], None]


class Core:
    """`sink(account, command)` takes each command (bench/kafka_bench.py's plain loop sends
    it); without one, each is Avro-encoded here."""

    def __init__(self, sink: Sink | None = None) -> None:
        self.sink = sink
        self.source = SourceConfig.load()
        self.ctx = HubContext(codes=CodeMaps.load())
        self.schema = fastavro.parse_schema(json.loads(SCHEMA_FILE.read_text()))
        self.orders: dict[str, bytes] = {}
        self.refs: dict[str, bytes] = {}
        self.hub: dict[str, bytes] = {}
        self.counts: Counter[str] = Counter()
        self.queue: deque[tuple[str, bytes, bytes]] = deque()  # (agent, key, value)

    def feed(self, stream: Iterable[Event]) -> Counter[str]:
        for _table, key, value in stream:
            self.counts["events in"] += 1
            change = parse_envelope(key, value)
            if isinstance(change, Tombstone):
                continue
            for r in route(change, self.source):
                if r.agent == "orders":
                    msg = wire.encode_order(wire.OrderRow(r.entity, r.row_id, r.row, change.source))
                    self.queue.append(("orders", r.key.encode(), msg))
                elif r.agent == "hub":
                    row = RowEvent(r.entity, r.row_id, r.row, change.source)
                    self.queue.append(("hub", r.key.encode(), wire.encode_hub(row)))
                else:
                    ref = wire.encode_ref(wire.RefRow(r.entity, r.key, r.row, change.source))
                    self.queue.append(("refs", wire.ref_key(r.entity, r.key), ref))
            self._drain()
        return self.counts

    def _drain(self) -> None:
        while self.queue:
            agent, key, value = self.queue.popleft()
            self.counts[f"{agent} events"] += 1
            getattr(self, f"_{agent}")(key.decode(), value)

    def _send_hub(self, account: str, event: HubEvent) -> None:
        self.queue.append(("hub", account.encode(), wire.encode_hub(event)))

    def _orders(self, key: str, value: bytes) -> None:
        msg = wire.decode_order(value)
        state = OrderState.from_json(orjson.loads(self.orders.get(key, b"{}")))
        state, requests = apply_order_row(state, msg.entity, msg.row_id, msg.row, msg.source)
        for account, request in requests:
            self._send_hub(account, request)
        self.orders[key] = _dumps(state.to_json())

    def _refs(self, key: str, value: bytes) -> None:
        msg = wire.decode_ref(key, value)
        state = ReferenceState.from_json(orjson.loads(self.refs.get(key, b"{}")))
        if isinstance(msg, wire.RefRow):
            state, answers = apply_row(state, msg.entity, msg.row_id, msg.row, msg.source)
        else:
            state, answers = apply_subscription(state, msg)
        for account, answer in answers:
            self._send_hub(account, answer)
        self.refs[key] = _dumps(state.to_json())

    def _hub(self, key: str, value: bytes) -> None:
        event = wire.decode_hub(value)
        state = CustomerState.from_json(orjson.loads(self.hub.get(key, EMPTY)))
        outcome = reduce(key, state, event, self.ctx, datetime.now(UTC))
        for command in outcome.commands:
            if self.sink is not None:
                self.sink(key, command)
            else:
                fastavro.schemaless_writer(io.BytesIO(), self.schema, command)
            self.counts[command["command_type"]] += 1
        for sub in outcome.subscriptions:
            self.queue.append(("refs", wire.ref_key(sub.entity, sub.ref_id), wire.encode_ref(sub)))
        self.counts["alerts"] += len(outcome.alerts)
        self.hub[key] = _dumps(outcome.state.to_json())


def measure(customers: int, profile: bool = False) -> tuple[float, Counter[str], str]:
    stream = list(events(customers))  # generated up front: only the core is timed
    core = Core()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    counts = core.feed(stream)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    report = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        report = out.getvalue()
    return seconds, counts, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.core", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    seconds, counts, report = measure(args.customers, args.profile)
    n = counts["events in"]
    print(report)
    print(dict(counts))
    print(f"core alone: {n} source events in {seconds:.2f} s = {n / seconds:,.0f} events/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
