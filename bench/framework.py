"""What the framework alone costs per record: the ceiling (a) cannot pass, however cheap the
product's own code gets (bench/RESULTS.md, "Session 12: the framework's ceiling").

    python -m bench.framework [--customers 2000]

On the same records (the generator's Debezium events, produced first to one topic of four
partitions), each a fresh consumer catching up, records in per second:

- plain transactional loop: confluent-kafka consume → produce, a transaction committed with
  the consumed offsets every 100 ms (the commit interval the worker uses);
- faust forward: a worker of bench/framework_app.py — the product's App and `process_stream`,
  an agent that sends each record on as it is and does nothing else — under exactly-once, then
  at-least-once;
- faust forward + table: the same, and a table write per record (a changelog record);
- faust's own App: faust's App and `async for` loop, at-least-once, none of the product's
  machinery.

Then (a)'s ceiling: the exactly-once forward with a table write, divided by the records (a)
consumes per source event, counted by the core (bench/core.py) on the same events. Needs the
local stack (`make stack-up`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from bench import core, kafka_bench
from bench.generate import events

COMMIT_INTERVAL_S = 0.1


def _topic(run: kafka_bench.Run, name: str) -> str:
    admin = AdminClient(run.client())
    new = NewTopic(name, run.settings.partitions, run.settings.replication_factor)
    admin.create_topics([new])[name].result()
    return name


def _count(run: kafka_bench.Run, topic: str, expected: int, timeout_s: float) -> float:
    """Reads `topic` (read_committed) until `expected` records: when the last one arrived."""
    out = kafka_bench.Commands(run, topic)
    deadline = time.monotonic() + timeout_s
    try:
        while out.count < expected and time.monotonic() < deadline:
            out.poll(0.5)
        if out.count < expected:
            raise kafka_bench.BenchTimeoutError(
                f"{topic}: {out.count} of {expected} records in {timeout_s:.0f} s"
            )
        return out.last
    finally:
        out.close()


def faust_forward(
    source: str,
    n: int,
    logs: Path,
    with_table: bool,
    guarantee: str = "exactly_once",
    stock: bool = False,
    timeout_s: float = 900.0,
) -> float:
    """Seconds a fresh worker of bench/framework_app.py takes from ready to its last record."""
    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    sink = _topic(run, f"bench-{run.tag}-sink")
    run.env.update(
        BENCH_FRAMEWORK_SOURCE=source,
        BENCH_FRAMEWORK_SINK=sink,
        BENCH_FRAMEWORK_TABLE="1" if with_table else "0",
        SYNC_PROCESSING_GUARANTEE=guarantee,
        BENCH_FRAMEWORK_STOCK="1" if stock else "0",
    )
    worker = kafka_bench.Worker(run, logs / f"framework-{run.tag}.log", app="bench.framework_app")
    try:
        ready = worker.wait_ready()
        return _count(run, sink, n, timeout_s) - ready
    finally:
        worker.stop()


def plain_transactional(source: str, n: int, timeout_s: float = 600.0) -> float:
    """Seconds a confluent-kafka consume → produce loop takes, one transaction per interval
    carrying the consumed offsets: from the first record read to the last commit."""
    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    sink = _topic(run, f"bench-{run.tag}-sink")
    group = f"bench-{run.tag}-plain-tx"
    consumer = Consumer(
        {
            **run.client(),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    producer = Producer({**run.client(), "transactional.id": f"{group}-0", "linger.ms": 5})
    producer.init_transactions(30)
    consumer.subscribe([source])
    seen, started, deadline = 0, 0.0, time.monotonic() + timeout_s
    try:
        producer.begin_transaction()
        last_commit = time.monotonic()
        while seen < n and time.monotonic() < deadline:
            for msg in consumer.consume(1000, timeout=0.2):
                if msg.error():
                    continue
                if not started:
                    started = time.monotonic()
                producer.produce(sink, key=msg.key(), value=msg.value())
                producer.poll(0)
                seen += 1
            if seen >= n or time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                offsets = consumer.position(consumer.assignment())
                producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata())
                producer.commit_transaction(30)
                producer.begin_transaction()
                last_commit = time.monotonic()
        producer.abort_transaction(30)  # the empty one begun after the last commit
        if seen < n:
            raise RuntimeError(f"plain loop: {seen} of {n} records in {timeout_s:.0f} s")
        return last_commit - started
    finally:
        consumer.close()


def records_per_event(customers: int) -> tuple[float, float]:
    """Records (a) consumes and produces per source event, counted by the core on the same
    events: consumed = source + internal events; produced = internal events, table writes
    (changelog records) and commands."""
    _seconds, counts, _ = core.measure(customers)
    n = counts["events in"]
    internal = counts["orders events"] + counts["refs events"] + counts["hub events"]
    commands = counts["CREATE_CUSTOMER"] + counts["UPDATE_CUSTOMER"]
    # every agent event writes its table once; each command also writes the lookup history
    produced = internal + internal + 2 * commands + counts["alerts"]
    return (n + internal) / n, produced / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.framework", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="bench-framework-"))

    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    source = _topic(run, f"bench-{run.tag}-framework-source")
    n = run.produce(events(args.customers), topic=source)
    consumed, produced = records_per_event(args.customers)
    print(f"{n} records; (a) moves {consumed:.2f} records in and {produced:.2f} out per event")

    plain_s = plain_transactional(source, n)
    print(f"plain transactional loop:  {n / plain_s:,.0f} records/s")
    rates = {}
    for guarantee in ("exactly_once", "at_least_once"):
        for with_table in (False, True):
            seconds = faust_forward(source, n, logs, with_table, guarantee)
            rates[guarantee, with_table] = n / seconds
            what = "forward + table" if with_table else "forward"
            print(f"faust {what}, {guarantee}: {n / seconds:,.0f} records/s")
    seconds = faust_forward(source, n, logs, False, "at_least_once", stock=True)
    print(f"faust forward, at_least_once, faust's own App: {n / seconds:,.0f} records/s")
    # (a)'s ceiling: its records in per event at the cost of a forward with a table write
    # (one record in, two out), the cheapest faust path that matches (a)'s mix
    ceiling = rates["exactly_once", True] / consumed
    print(f"(a) ceiling from faust's own path, exactly-once: {ceiling:,.0f} events/s")
    print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
