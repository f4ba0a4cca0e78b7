"""Helpers for the end-to-end pipeline tests: a real Faust worker, Siebel rows written with SQL,
commands read back with a read_committed consumer and decoded through the registry."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streams import topic_reader
from streams.core.source_config import SourceConfig
from streams.settings import Settings
from streams.siebel_db import insert_row, update_row
from streams.topology import internal_topic_names, source_topic_names
from tests.conftest import ROOT

# `-l info` as in production (stack-facts.md); debug when chasing a worker problem
LOG_LEVEL = os.environ.get("IT_WORKER_LOG_LEVEL", "info")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    settings: Settings
    env: dict[str, str]
    web_port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def stats(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.web_port}/sync/stats/"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return dict(json.loads(resp.read()))

    def held(self) -> dict[str, list[str]]:
        url = f"http://127.0.0.1:{self.web_port}/sync/held/"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return dict(json.loads(resp.read()))

    def recovery_starts(self) -> dict[tuple[str, int], int]:
        """Where this worker's table recovery started reading each active changelog partition
        (faust's "Reading Starts At" log table; -1: from the beginning, no local state)."""
        starts: dict[tuple[str, int], int] = {}
        table = self.log.read_text().split("Reading Starts At - Active", 1)[-1].split("\n\n")[0]
        topic = ""
        for line in table.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 3 and cells[1].isdigit():
                topic = topic if cells[0] == "〃" else cells[0]
                starts[(topic, int(cells[1]))] = int(cells[2])
        return starts

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def crash(self) -> None:
        """kill -9: no flush, no commit, no leaving the group."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)


def app_settings(base: dict[str, str], tag: str) -> Settings:
    """The settings `running_worker(base, …, tag)` gives its worker."""
    return Settings.from_env({**os.environ, **base, "SYNC_APP_ID": f"it-sync-{tag}"})


def start_at_end(settings: Settings) -> dict[tuple[str, int], int]:
    """Commit the app's offsets at the current end of the Debezium topics, so its first start
    processes only what is written from now on (not the history earlier tests left); returns
    those offsets."""
    admin = AdminClient(settings.kafka_client_config())
    topics = source_topic_names(settings, SourceConfig.load())
    ends = topic_reader.end_offsets(admin, topic_reader.partitions_of(admin, topics))
    if not ends:
        return ends  # a new stack: Debezium has written nothing yet, there is no history
    consumer = Consumer({**settings.kafka_client_config(), "group.id": settings.app_id})
    try:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in ends.items()], asynchronous=False
        )
    finally:
        consumer.close()
    return ends


def group_lag(settings: Settings, topics: list[str]) -> dict[tuple[str, int], int]:
    """Partitions of `topics` the app's consumer group has not committed to their end, and by
    how much. (An internal topic's end can be an aborted transaction's marker that no later
    record moves a position past: a lag of 1 there is not work left.)"""
    admin = AdminClient(settings.kafka_client_config())
    ends = topic_reader.end_offsets(admin, topic_reader.partitions_of(admin, topics))
    committed = topic_reader.group_offsets(admin, settings.app_id, ends)
    lag = {k: end - (committed.get(k) or 0) for k, end in ends.items()}
    return {k: n for k, n in lag.items() if n > 0}


def where_app_stands(settings: Settings) -> str:
    """The group's lag on the Debezium and internal topics, for a timed-out test's message."""
    topics = [*source_topic_names(settings, SourceConfig.load())]
    topics += internal_topic_names(settings).values()
    try:
        lag = group_lag(settings, topics)
    except Exception as exc:  # noqa: BLE001 - a diagnosis must not hide the failure it explains
        return f"lag unknown: {exc!r}"
    return f"lag by partition: {sorted(lag.items()) or 'none'}"


def prepare_app(env: dict[str, str]) -> None:
    """What a deployment does before a worker starts: register the schema, create the topics."""
    for step in (["-m", "streams.avro_codec", "register"], ["-m", "streams.topology", "create"]):
        subprocess.run([sys.executable, *step], env=env, cwd=ROOT, check=True, capture_output=True)


def launch_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`faust -A streams.app worker` in its own process group (stopped by group id), logging
    to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "faust", "-A", "streams.app", "worker", "-l", LOG_LEVEL],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def worker_env(base: dict[str, str], tag: str) -> dict[str, str]:
    """The environment of `running_worker(base, …, tag)`'s app: its app id and topics."""
    return {
        **os.environ,
        **base,
        "SYNC_APP_ID": f"it-sync-{tag}",
        "SYNC_COMMANDS_TOPIC": f"it-ccb-commands-{tag}",
        "SYNC_DLQ_TOPIC": f"it-sync-dlq-{tag}",
    }


@contextmanager
def running_worker(base: dict[str, str], tmp: Path, tag: str | None = None) -> Iterator[Worker]:
    """A worker under a fresh app id, commands topic and DLQ, so a run sees only its own output;
    the same `tag` and `tmp` again restart that worker on its own state."""
    tag = tag or uuid.uuid4().hex[:8]
    port = int(base.get("SYNC_WEB_PORT") or free_port())  # a port of its own, unless given
    env = {
        **worker_env(base, tag),
        "SYNC_WEB_PORT": str(port),
        "SYNC_DATA_DIR": str(tmp / "worker-data"),
    }
    settings = Settings.from_env(env)
    prepare_app(env)
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / f"worker-{len(list(tmp.glob('worker-*.log')))}.log"  # one per start
    worker = Worker(settings, env, port, log)
    worker.proc = launch_worker(env, log)
    try:
        deadline = time.monotonic() + 120
        while b"Worker ready" not in log.read_bytes():
            if not worker.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield worker
    finally:
        if worker.alive():
            assert worker.proc is not None
            os.killpg(worker.proc.pid, signal.SIGTERM)
            try:
                worker.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.proc.pid, signal.SIGKILL)


class Siebel:
    """Writes Siebel rows the way the application server would."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def insert(self, table: str, **row: Any) -> None:
        insert_row(self.conn, table, row)

    def update(self, table: str, row_id: str, **values: Any) -> None:
        update_row(self.conn, table, row_id, values, touch=False)

    def prospect(
        self,
        acct: str,
        *,
        contact: str,
        address: str,
        bp: str,
        business: bool = False,
        account_class: str = "Customer",
    ) -> None:
        """A complete prospect, in one transaction."""
        with self.conn.transaction():
            self.insert(
                "s_contact",
                row_id=contact,
                fst_name="Grace",
                last_name="Hopper",
                cell_ph_num="+1 217 555 0199",
                email_addr="grace@example.org",
            )
            self.insert(
                "s_addr_per",
                row_id=address,
                addr="12 Grid Lane",
                city="Springfield",
                state="IL",
                zipcode="62701",
                country="USA",
            )
            self.insert(
                "s_org_ext",
                row_id=acct,
                par_row_id=acct,
                name="Acme Bakery LLC" if business else "Hopper Household",
                accnt_type_cd=account_class,
                ou_type_cd="Business" if business else "Residential",
                pr_con_id=contact,
                pr_addr_id=address,
                pr_bill_prfl_id=bp,
                base_curcy_cd="USD",
                lang_id="ENU",
            )
            self.insert(
                "s_inv_prof",
                row_id=bp,
                accnt_id=acct,
                name="Primary",
                primary_flg="Y",
                bill_cycle="Monthly-08",
                bill_media="Paper",
                bill_type="Detail",
                pay_method="Check",
            )

    def held_business(self, acct: str) -> None:
        """A business account with no address at all: its create waits for one (R7)."""
        self.insert(
            "s_org_ext",
            row_id=acct,
            par_row_id=acct,
            name="No Address Ltd",
            accnt_type_cd="Customer",
            ou_type_cd="Business",
        )

    def order(self, order: str, status: str, *lines: tuple[str, str | None]) -> None:
        with self.conn.transaction():
            self.insert("s_order", row_id=order, order_num=f"SO-{order}", status_cd=status)
            for n, (line, acct) in enumerate(lines, start=1):
                self.insert(
                    "s_order_item", row_id=line, order_id=order, ln_num=n, bill_accnt_id=acct
                )


def new_id(n: int | str = 0) -> str:
    return f"1-{uuid.uuid4().hex[:7].upper()}-{n}"


class Outputs:
    """Reads the worker's commands (decoded through the registry) and dead letters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        registry = SchemaRegistryClient(settings.schema_registry_config())
        self._decode = AvroDeserializer(registry)
        self.commands: list[dict[str, Any]] = []
        self.dead: list[dict[str, Any]] = []
        self._consumer = Consumer(
            {
                **settings.kafka_client_config(),
                "group.id": f"it-read-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        self._consumer.subscribe([settings.commands_topic, settings.dlq_topic])

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self._consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            if msg.topic() == self.settings.commands_topic:
                ctx = SerializationContext(str(msg.topic()), MessageField.VALUE)
                command = self._decode(msg.value(), ctx)
                assert msg.key() == command["siebel_account_id"].encode()
                self.commands.append(command)
            else:
                self.dead.append(json.loads(msg.value() or b"{}"))

    def wait_for(
        self,
        what: str,
        done: Callable[[], bool],
        timeout: float = 60.0,
        explain: Callable[[], str] | None = None,
    ) -> None:
        """Poll until `done`; on a timeout the error says `what`, and `explain()` if given (what
        is missing and where the app stands, so a failure in CI can be told apart: lost or
        late)."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                detail = f"\n{explain()}" if explain is not None else ""
                raise AssertionError(f"timed out waiting for {what}{detail}")
            self.poll(0.5)

    def for_account(self, acct: str) -> list[dict[str, Any]]:
        return [c for c in self.commands if c["siebel_account_id"] == acct]

    def close(self) -> None:
        self._consumer.close()


def produce_raw(settings: Settings, topic: str, key: bytes | None, value: bytes) -> tuple[int, int]:
    """Write one record as is; returns where it landed (partition, offset)."""
    producer = Producer({**settings.kafka_client_config(), "partitioner": "murmur2_random"})
    landed: list[tuple[int | None, int | None]] = []
    producer.produce(
        topic,
        key=key,
        value=value,
        on_delivery=lambda err, msg: landed.append((msg.partition(), msg.offset())),
    )
    assert producer.flush(10) == 0
    partition, offset = landed[0]
    assert partition is not None
    assert offset is not None
    return partition, offset
