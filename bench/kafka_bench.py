"""(a) and (b) of issue #12 on the local stack, on the same generated events.

The events (bench/generate.py) are produced first to source topics of their own
(`bench-<tag>.siebel.<table>`), so what is timed is a consumer catching up, not the producer:

- (b) the plain loop: one confluent-kafka consumer of every source topic → the same core as
  bench/core.py with its tables in dicts → the product's Avro serializer → a producer; no
  transactions, no hops through Kafka. The Python ceiling for this work.
- (a) the Faust worker (`faust -A streams.app worker`, exactly-once, the product as deployed)
  under a fresh app id reading those topics: from its "Worker ready" to the last command it
  commits, read back with read_committed.

Then the commit-to-command latency of (a): the same worker, fed at a fixed rate (half of what
it sustained), each event stamped with the time it is produced as its Siebel commit time; the
latency is from that stamp to the command's arrival at a read_committed reader.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient

from bench.core import Core
from bench.generate import Event
from stack.config import StackConfig
from streams.avro_codec import CommandDeserializer, CommandSerializer, subject_for
from streams.lag import records_behind
from streams.settings import Settings
from streams.topology import internal_topic_names

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("s_contact", "s_addr_per", "s_inv_prof", "s_org_ext", "s_order", "s_order_item")


@dataclass
class Run:
    tag: str
    env: dict[str, str]
    settings: Settings

    @classmethod
    def new(cls, tag: str, debezium: bool = False) -> Run:
        """A fresh app; on source topics of its own, or on Debezium's (`debezium`)."""
        env = {
            **os.environ,
            **StackConfig.from_env().exports(),
            "SYNC_APP_ID": f"bench-{tag}",
            "SYNC_COMMANDS_TOPIC": f"bench-{tag}-commands",
            "SYNC_DLQ_TOPIC": f"bench-{tag}-dlq",
            "SYNC_PROCESSING_GUARANTEE": "exactly_once",
        }
        if not debezium:
            env["SYNC_SOURCE_TOPIC_PREFIX"] = f"bench-{tag}"
        return cls(tag, env, Settings.from_env(env))

    def client(self) -> dict[str, str | int | float | bool]:
        return self.settings.kafka_client_config()

    def prepare(self, source_topics: bool = True) -> None:
        """Source topics as Debezium would create them (unless they are Debezium's), then the
        app's (schema, topics)."""
        if source_topics:
            admin = AdminClient(self.client())
            topics = [self.settings.source_topic(t) for t in TABLES]
            new = [
                NewTopic(t, self.settings.partitions, self.settings.replication_factor)
                for t in topics
            ]
            for future in admin.create_topics(new).values():
                future.result()
        for step in (
            ["-m", "streams.avro_codec", "register"],
            ["-m", "streams.topology", "create"],
        ):
            subprocess.run([sys.executable, *step], env=self.env, cwd=ROOT, check=True)

    def produce(
        self, events: Iterable[Event], rate: float | None = None, topic: str | None = None
    ) -> int:
        """Every event to its table's topic (or all to `topic`), keyed as Debezium keys it
        (murmur2, as Java); at `rate` events/s with the produce time as the commit time when
        given."""
        producer = Producer({**self.client(), "partitioner": "murmur2_random", "linger.ms": 20})
        n, started = 0, time.monotonic()
        for table, key, value in events:
            if rate is not None:
                wait = started + n / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                value = _stamped(value, time.time())
            producer.produce(topic or self.settings.source_topic(table), value=value, key=key)
            producer.poll(0)
            n += 1
        producer.flush(60)
        return n


def _stamped(value: bytes, now: float) -> bytes:
    envelope = json.loads(value)
    payload = envelope.get("payload", envelope)
    payload["source"]["ts_ms"] = int(now * 1000)
    return json.dumps(envelope).encode()


class BenchTimeoutError(RuntimeError):
    """A run that did not finish in the time allowed."""


def plain_loop(run: Run, expected_events: int, timeout_s: float = 600.0) -> tuple[float, int]:
    """(b): seconds from the first event read to the last command delivered, and commands."""
    registry = SchemaRegistryClient(run.settings.schema_registry_config())
    serialize = CommandSerializer(registry, subject_for(run.settings.commands_topic))
    producer = Producer({**run.client(), "linger.ms": 5, "enable.idempotence": True})
    topic = f"bench-{run.tag}-plain-commands"
    sent = 0

    def sink(account: str, command: dict[str, object]) -> None:
        nonlocal sent
        producer.produce(topic, key=account.encode(), value=serialize(command))
        producer.poll(0)
        sent += 1

    core = Core(sink=sink)
    consumer = Consumer(
        {
            **run.client(),
            "group.id": f"bench-{run.tag}-plain",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([run.settings.source_topic(t) for t in TABLES])
    seen, started, deadline = 0, None, time.monotonic() + timeout_s
    try:
        while seen < expected_events and time.monotonic() < deadline:
            for msg in consumer.consume(1000, timeout=1.0):
                if msg.error():
                    continue
                if started is None:  # from the first event: the group join is not the loop's
                    started = time.monotonic()
                table = str(msg.topic()).rsplit(".", 1)[1]
                core.feed([(table, msg.key() or b"", msg.value() or b"")])
                seen += 1
        producer.flush(60)
        if started is None:
            raise RuntimeError("the plain loop read no event")
        if seen < expected_events:
            raise BenchTimeoutError(
                f"plain loop: {seen} of {expected_events} events in {timeout_s:.0f} s"
            )
        return time.monotonic() - started, sent
    finally:
        consumer.close()


class Commands:
    """Follows a commands topic with read_committed: how many, the last arrival, and the
    commit-to-command latency of each (arrival minus the command's Siebel commit time), as
    (commit time, latency) in seconds. Without `latency` it only counts, so it follows any
    topic (bench/framework.py's sinks)."""

    def __init__(self, run: Run, topic: str) -> None:
        self.consumer = Consumer(
            {
                **run.client(),
                "group.id": f"bench-{run.tag}-reader-{time.monotonic_ns()}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        self.consumer.subscribe([topic])
        registry = SchemaRegistryClient(run.settings.schema_registry_config())
        self.decode = CommandDeserializer(registry)
        self.count, self.last = 0, 0.0
        self.latencies: list[tuple[float, float]] = []

    def poll(self, seconds: float, latency: bool = False) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            # what has arrived, else the first to arrive: `consume(n, timeout)` returns only
            # once it has n records or the timeout passed, which at a low rate stamped each
            # arrival up to the whole timeout late (the latency figures before session 9)
            batch = self.consumer.consume(500, timeout=0)
            if not batch:
                first = self.consumer.poll(0.2)
                batch = [first] if first is not None else []
            for msg in batch:
                if msg.error():
                    continue
                self.count += 1
                self.last = time.time()
                if latency:
                    command = self.decode(msg.value() or b"")
                    committed = (command.get("source") or {}).get("commit_time")
                    if committed is not None:
                        stamp = committed.timestamp()
                        self.latencies.append((stamp, self.last - stamp))

    def close(self) -> None:
        self.consumer.close()


def feed_and_collect(
    out: Commands, feed: Callable[[], object]
) -> tuple[list[tuple[float, float]], float, float]:
    """`feed` run in a thread while `out` collects the commands' latencies, and 10 s more for
    the last commands: (Siebel commit time, latency) of each, when the feed began (epoch
    seconds, as the commit times are) and how long it took."""
    feeding = threading.Thread(target=feed)
    began, started = time.time(), time.monotonic()
    feeding.start()
    while feeding.is_alive():
        out.poll(1.0, latency=True)
    fed_for = time.monotonic() - started
    out.poll(10.0, latency=True)
    return out.latencies, began, fed_for


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _figures(latencies: list[float]) -> str:
    if not latencies:
        return "no command"
    p50, p99 = statistics.median(latencies), _pct(latencies, 0.99)
    return f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms"


def latency_report(stamped: list[tuple[float, float]], began: float, warm_up_s: float) -> str:
    """p50/p99 of the commands whose change was committed after the warm-up (a worker that has
    just started is slower for a second or two), then of all of them."""
    steady = [lat for stamp, lat in stamped if stamp >= began + warm_up_s]
    every = [lat for _, lat in stamped]
    return (
        f"{_figures(steady)} ({len(steady)} commands after a {warm_up_s:.0f} s warm-up; "
        f"with it: {_figures(every)})"
    )


def lag(run: Run) -> int:
    """Records the app's group has not committed past, on every topic it reads."""
    internal = sorted(internal_topic_names(run.settings).values())
    topics = [run.settings.source_topic(t) for t in TABLES] + internal
    return records_behind(run.settings, topics, AdminClient(run.client()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Worker:
    """A Faust worker of the run's app, as a process of its own."""

    def __init__(
        self, run: Run, log: Path, data: str | None = None, app: str = "streams.app"
    ) -> None:
        self.data = data or tempfile.mkdtemp(prefix="bench-worker-")
        port = run.env.get("SYNC_WEB_PORT") or str(free_port())  # a run may fix it
        env = {**run.env, "SYNC_DATA_DIR": self.data, "SYNC_WEB_PORT": port}
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "faust", "-A", app, "worker", "-l", "info"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout_s: float = 180.0) -> float:
        deadline = time.monotonic() + timeout_s
        while b"Worker ready" not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start: {self.log}")
            time.sleep(0.1)
        return time.time()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)


def follow_until_done(
    run: Run, out: Commands, timeout_s: float, feeding: Callable[[], bool] = lambda: False
) -> None:
    """Reads the commands until the app is done: nothing is `feeding` it any more, no command
    has come for 10 s and its group has committed past everything (`lag`). Raises
    BenchTimeoutError after `timeout_s`: a figure from a run cut short would look like a rate."""
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        before = out.count
        out.poll(2.0)
        if out.count != before or feeding():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 10.0 and lag(run) == 0:
            return
    raise BenchTimeoutError(
        f"not done after {timeout_s:.0f} s: {out.count} commands so far, {lag(run)} records "
        "not yet committed past"
    )


def timeout_for(events: int, floor_s: float = 1800.0) -> float:
    """Time allowed for a run of `events` before it counts as stuck: 10 ms per event (a
    tenth of the slowest rate measured here), and no less than `floor_s`."""
    return max(floor_s, events / 100)


def faust_worker(run: Run, log: Path, timeout_s: float = 1800.0) -> tuple[float, int]:
    """(a): seconds from the worker's start-up being done to its last command, and commands."""
    out = Commands(run, run.settings.commands_topic)
    worker = Worker(run, log)
    try:
        ready = worker.wait_ready()
        follow_until_done(run, out, timeout_s)
        return out.last - ready, out.count
    finally:
        worker.stop()
        out.close()
