"""The end-to-end figure of issue #12: the same generated activity written into PostgreSQL (the
Siebel stand-in), captured by Debezium, processed by the Faust worker under exactly-once.

    python -m bench.end_to_end [--customers 2000] [--rate 20 --latency-seconds 30]

Each generated change (bench/generate.py) becomes the row operation that makes Debezium emit it
— an INSERT, or an UPDATE of the columns it changes — one transaction each, as Siebel's
application server commits them, written as fast as one connection can. A fresh app starts at
the current end of Debezium's topics (what earlier runs left there is not its work) and the
figure is from the first row written to the last command a read_committed reader sees.

Then the latency a Siebel user's edit takes to reach CC&B: a fresh app, changes written at a fixed
rate (`--rate`, a quiet office day by default), each command's latency from its change's commit in
PostgreSQL (the commit time Debezium reads from the WAL, carried in the command's `source`) to its
arrival at a read_committed reader. Debezium's own queue is part of it (`poll.interval.ms`,
connectors/README.md).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import psycopg
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from bench.generate import EVENTS_PER_CUSTOMER, Event, events
from bench.kafka_bench import (
    Commands,
    Run,
    Worker,
    feed_and_collect,
    follow_until_done,
    latency_report,
    timeout_for,
)
from bench.run import WARM_UP_S
from streams import topic_reader
from streams.core.source_config import SourceConfig
from streams.siebel_db import insert_row, update_row
from streams.topology import source_topic_names


def write_rows(dsn: str, changes: Iterable[Event], rate: float | None = None) -> int:
    """Each change as its row operation, committed on its own, at `rate` changes/s when given;
    returns how many."""
    n, started = 0, time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, _key, value in changes:
            if rate is not None:
                wait = started + n / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            change = json.loads(value)
            after, before = change["after"], change["before"] or {}
            if change["op"] == "c":
                insert_row(conn, table, after)
            else:
                changed = {k: v for k, v in after.items() if before.get(k) != v}
                update_row(conn, table, after["row_id"], changed, touch=True)
            n += 1
    return n


def start_at_end(run: Run) -> None:
    """Commit the app's offsets at the end of Debezium's topics: its first start processes only
    what this run writes."""
    admin = AdminClient(run.client())
    topics = source_topic_names(run.settings, SourceConfig.load())
    ends = topic_reader.end_offsets(admin, topic_reader.partitions_of(admin, topics))
    if not ends:
        return
    consumer = Consumer({**run.client(), "group.id": run.settings.app_id})
    try:
        offsets = [TopicPartition(t, p, o) for (t, p), o in ends.items()]
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def free_prefix(dsn: str) -> str:
    """A prefix for this run's account ids that no account in the database has yet: each run
    inserts its customers anew, into a database earlier runs have written to."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n in random.sample(range(256), 256):
            prefix = f"1-{n:02X}"
            row = conn.execute(
                "SELECT 1 FROM siebel.s_org_ext WHERE row_id LIKE %s LIMIT 1", [f"{prefix}%"]
            ).fetchone()
            if row is None:
                return prefix
    raise RuntimeError("every account id prefix is taken: start the stack on fresh data")


def _fresh_app(log: Path) -> tuple[Run, Commands, Worker]:
    """A new app on Debezium's topics from their current end, its worker and its commands."""
    run = Run.new(uuid.uuid4().hex[:8], debezium=True)
    run.prepare(source_topics=False)
    start_at_end(run)
    return run, Commands(run, run.settings.commands_topic), Worker(run, log)


def measure(customers: int, logs: Path) -> tuple[int, float, int]:
    """Rows written, seconds from the first to the last command, commands."""
    timeout_s = timeout_for(customers * EVENTS_PER_CUSTOMER)
    run, out, worker = _fresh_app(logs / "end-to-end-worker.log")
    written = 0

    def write() -> None:
        nonlocal written
        dsn = run.settings.siebel_dsn.get_secret_value()
        written = write_rows(dsn, events(customers, seed=13, prefix=free_prefix(dsn)))

    try:
        worker.wait_ready()
        writer = threading.Thread(target=write)
        started = time.time()
        writer.start()
        follow_until_done(run, out, timeout_s, feeding=writer.is_alive)
        writer.join()
        return written, out.last - started, out.count
    finally:
        worker.stop()
        out.close()


def latency(
    rate: float, seconds: float, logs: Path
) -> tuple[list[tuple[float, float]], float, float]:
    """A fresh app and worker; changes written at `rate` for about `seconds` once it is ready:
    (Siebel commit time, latency) of each command, when the writing began (epoch seconds, as
    the commit times are) and how long it took."""
    run, out, worker = _fresh_app(logs / "end-to-end-latency-worker.log")
    customers = max(10, int(rate * seconds / EVENTS_PER_CUSTOMER))
    dsn = run.settings.siebel_dsn.get_secret_value()
    changes = events(customers, seed=17, prefix=free_prefix(dsn))
    try:
        worker.wait_ready()
        return feed_and_collect(out, lambda: write_rows(dsn, changes, rate))
    finally:
        worker.stop()
        out.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.end_to_end", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes/s for the latency")
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument("--warm-up-seconds", type=float, default=WARM_UP_S)
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    written, seconds, commands = measure(args.customers, logs)
    print(
        f"end to end (PostgreSQL → Debezium → Faust worker, exactly-once): {written} row changes "
        f"in {seconds:.2f} s = {written / seconds:,.0f} events/s ({commands} commands)"
    )
    fed_s = args.warm_up_seconds + args.latency_seconds
    stamped, began, wrote_for = latency(args.rate, fed_s, logs)
    report = latency_report(stamped, began, args.warm_up_seconds) if stamped else "no command"
    print(
        f"end to end latency at {args.rate:,.0f} changes/s for {wrote_for:.0f} s: Siebel commit "
        f"to command {report}"
    )
    print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
