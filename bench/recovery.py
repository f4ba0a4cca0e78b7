"""Table recovery time (issue #12, item 3): a worker started on an empty local store rebuilding
N customers from the changelogs, and the start after a crash (SIGKILL) on its own store.

    python -m bench.recovery [--customers 100000]

The changelogs are written directly, as the workers of an earlier run would have left them under
exactly-once: the table values the core (bench/core.py) builds for a sample of generated
customers, copied under new keys up to N customers, committed in transactions of 500 records.
No source event is produced, so the worker only recovers. Times are from the worker's process
start to its "Worker ready"; the recovery span is from faust's "Highwater" line to it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from confluent_kafka import Producer

from bench.core import Core
from bench.generate import events
from bench.kafka_bench import Run, Worker, free_port

SAMPLE = 500  # customers the core really builds; the rest are copies under other keys
TRANSACTION = 500  # records per transaction, as a busy worker commits them


def changelog_values(customers: int) -> dict[str, list[tuple[str, bytes]]]:
    """table → (key, value) for `customers` customers, as faust's tables store them."""
    core = Core()
    core.feed(events(SAMPLE))
    sample = {"hub": core.hub, "refs": core.refs, "orders": core.orders}
    copies = max(1, customers // SAMPLE)
    return {
        table: [(f"{key}~{n}", value) for n in range(copies) for key, value in values.items()]
        for table, values in sample.items()
    }


def write_changelogs(run: Run, values: dict[str, list[tuple[str, bytes]]]) -> int:
    producer = Producer(
        {
            **run.client(),
            "transactional.id": f"{run.settings.app_id}-bench-writer",
            "partitioner": "murmur2_random",
            "linger.ms": 20,
        }
    )
    producer.init_transactions(30)
    written = 0
    for table, records in values.items():
        topic = f"{run.settings.app_id}-{table}-changelog"
        for start in range(0, len(records), TRANSACTION):
            producer.begin_transaction()
            for key, value in records[start : start + TRANSACTION]:
                producer.produce(topic, key=json.dumps(key).encode(), value=value)
                producer.poll(0)
            producer.commit_transaction(60)
            written += len(records[start : start + TRANSACTION])
    return written


def _stamp(line: str) -> float:
    return datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def timed_start(run: Run, log: Path, data: str | None = None) -> tuple[Worker, str]:
    """A worker started (on `data` if given), and how its start went: seconds to ready, of
    them waiting to join the group, and recovering the tables (from faust's "Highwater"); how
    many changelog records the restore read (streams/exactly_once/restore.py)."""
    started = time.time()
    worker = Worker(run, log, data=data)
    ready = worker.wait_ready(timeout_s=1800.0)
    text = log.read_text()
    joined = re.search(r"^\[[^\]]+\].*Joined group", text, re.M)
    highwater = re.search(r"^\[[^\]]+\].*Highwater for active", text, re.M)
    join_s = _stamp(joined.group(0)) - started if joined else float("nan")
    recovering = ready - _stamp(highwater.group(0)) if highwater else float("nan")
    restored = sum(int(n) for n in re.findall(r"Restored (\d+) records of", text))
    return worker, (
        f"ready in {ready - started:.1f} s: {join_s:.1f} s joining the group, "
        f"{recovering:.1f} s recovering ({restored:,} records restored with librdkafka)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recovery", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--session-timeout",
        type=float,
        help="faust's broker_session_timeout (s) for the worker: how long the group waits for "
        "the killed worker before it reassigns its partitions (default: faust's, 60 s)",
    )
    parser.add_argument(
        "--static-member",
        action="store_true",
        help="give the worker a SYNC_GROUP_INSTANCE_ID (and a fixed web port), so the restarted "
        "worker takes the killed one's place in the group at once",
    )
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    run = Run.new(uuid.uuid4().hex[:8])
    if args.session_timeout is not None:
        run.env["BROKER_SESSION_TIMEOUT"] = str(args.session_timeout)
    if args.static_member:
        run.env["SYNC_GROUP_INSTANCE_ID"] = f"bench-{run.tag}"
        run.env["SYNC_WEB_PORT"] = str(free_port())
    run.prepare()
    values = changelog_values(args.customers)
    began = time.monotonic()
    written = write_changelogs(run, values)
    customers = len(values["hub"])
    print(
        f"changelogs: {written:,} records for {customers:,} customers "
        f"(written in {time.monotonic() - began:.0f} s)"
    )
    worker, how = timed_start(run, logs / "empty-store.log")
    print(f"empty local store: {how}")
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(30)
    # the group waits for the killed member's session to time out before it reassigns, unless
    # the worker is a static member (--static-member)
    again, how = timed_start(run, logs / "after-crash.log", data=worker.data)
    print(f"after a crash:     {how}")
    again.stop()
    print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
