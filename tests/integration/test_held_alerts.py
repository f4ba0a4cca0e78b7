"""R7's CREATE_HELD_TOO_LONG in a catch-up (streams/app.py `check_held_creates`).

A create waits (R7) for its account's contact, address and billing profile. In a catch-up they
are mostly queued in the app's own backlog, behind the order: the go-live snapshot of
bench/RESULTS.md (session 13) raised the alert for 72 % of its creates, none of them missing
anything in Siebel. The alert is now held while the app is behind, and goes out once it has
caught up for a create still held — one that really misses a row.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from bench import kafka_bench
from bench.generate import Event, events
from streams import topic_reader

pytestmark = pytest.mark.integration

CUSTOMERS = 1500


def test_a_catch_up_raises_no_held_alert_and_a_create_left_incomplete_raises_one(
    tmp_path: Path,
) -> None:
    run = kafka_bench.Run.new(f"held-{uuid.uuid4().hex[:6]}")
    # Two seconds instead of 15 minutes: about 14,500 events take a worker here well over a
    # minute, and creates wait seconds for their contacts in that backlog. A lag bound of 0
    # (the default allows 1,000) asks only once everything is processed, so no create still
    # completing in the last records of the catch-up can be asked about.
    run.env["SYNC_HELD_ALERT_AFTER"] = "2"
    run.env["SYNC_HELD_ALERT_MAX_LAG"] = "0"
    run.prepare()
    sent = list(events(CUSTOMERS))
    missing, incomplete = _left_without_contact(sent)
    run.produce(e for e in sent if not (e[0] == "s_contact" and json.loads(e[1]) == missing))
    out = kafka_bench.Commands(run, run.settings.commands_topic)
    log = tmp_path / "worker.log"
    worker = kafka_bench.Worker(run, log)
    try:
        worker.wait_ready()
        kafka_bench.follow_until_done(run, out, timeout_s=400)
        held = log.read_text(errors="replace").count("held creates are due an alert, but")
        alerted = _alerted(run, expect=len(incomplete))
    finally:
        worker.stop()
        out.close()
    ordered = len(range(0, CUSTOMERS, 3))  # every third customer orders (bench/generate.py)
    assert out.count >= ordered - len(incomplete), f"not caught up: {out.count} commands"
    assert held > 0, f"no alert was held back during the catch-up: is it long enough? {log}"
    assert alerted == incomplete, f"alerts for {alerted[:10]} ({len(alerted)}): {log}"


def _left_without_contact(sent: list[Event]) -> tuple[dict[str, str], list[str]]:
    """The key of the contact to leave out — the first ordered customer's own primary contact
    at the end — and the ordered accounts whose primary contact it is at the end: their
    creates stay held for good (accounts change primary contact in the generated edits)."""
    primary: dict[str, str] = {}
    for table, _, value in sent:
        if table == "s_org_ext":
            row = json.loads(value)["after"]
            primary[row["row_id"]] = row["pr_con_id"]
    ordered = {f"1-B{n:07X}" for n in range(0, CUSTOMERS, 3)}
    contact = next(c for a, c in sorted(primary.items()) if a in ordered and c == f"{a}-C")
    held = sorted(a for a, c in primary.items() if a in ordered and c == contact)
    return {"row_id": contact}, held


def _alerted(run: kafka_bench.Run, expect: int, timeout_s: float = 30.0) -> list[str]:
    """The accounts of the CREATE_HELD_TOO_LONG alerts in the dead-letter topic, once `expect`
    of them are there or `timeout_s` has passed (the last comes after the catch-up)."""
    settings = run.settings
    admin = AdminClient(run.client())
    parts = topic_reader.partitions_of(admin, [settings.dlq_topic])
    accounts: list[str] = []
    for _ in range(int(timeout_s / 2)):
        accounts = [
            record["account_id"]
            for msg in topic_reader.read_to_end(settings, dict.fromkeys(parts, 0), timeout_s=30)
            if (record := json.loads(msg.value() or b"{}")).get("reason") == "CREATE_HELD_TOO_LONG"
        ]
        if len(accounts) >= expect:
            break
        time.sleep(2.0)
    return sorted(accounts)
