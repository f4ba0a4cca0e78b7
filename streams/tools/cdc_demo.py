"""A first look at the stack: write a few Siebel rows, print the change events Debezium emits.

`make run` runs this after `make stack-up`: an account, its contact and address are created, the
account is renamed, an order is drafted and the address deleted, each in PostgreSQL; every change
comes back from `siebel.siebel.<table>` on Kafka as one line.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import uuid
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError

from streams.settings import Settings


def _row_id(n: int, tag: str) -> str:
    return f"1-{tag}-{n}"


def write_demo_rows(dsn: str, tag: str) -> list[str]:
    """One small Siebel story in five transactions; returns the ROW_IDs it touched."""
    acct, con, addr, order = (_row_id(i, tag) for i in range(1, 5))
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(
                "INSERT INTO siebel.s_org_ext (row_id, par_row_id, name, ou_num, accnt_type_cd,"
                " ou_type_cd, pr_con_id, pr_addr_id) VALUES (%s,%s,%s,%s,'Customer',"
                "'Residential',%s,%s)",
                (acct, acct, "Demo Household", f"AC-{tag}", con, addr),
            )
            conn.execute(
                "INSERT INTO siebel.s_contact (row_id, fst_name, last_name, cell_ph_num)"
                " VALUES (%s,'Ada','Lovelace','+1 555 0100')",
                (con,),
            )
            conn.execute(
                "INSERT INTO siebel.s_addr_per (row_id, addr, city, state, zipcode, country)"
                " VALUES (%s,'12 Grid Lane','Springfield','IL','62701','USA')",
                (addr,),
            )
        conn.execute(
            "UPDATE siebel.s_org_ext SET name = 'Demo Household (renamed)', last_upd = now()"
            " WHERE row_id = %s",
            (acct,),
        )
        conn.execute(
            "INSERT INTO siebel.s_order (row_id, order_num, status_cd, accnt_id, bill_accnt_id)"
            " VALUES (%s,%s,'Pending',%s,%s)",
            (order, f"ORD-{tag}", acct, acct),
        )
        conn.execute("DELETE FROM siebel.s_addr_per WHERE row_id = %s", (addr,))
    return [acct, con, addr, order]


def describe(topic: str, key: dict[str, Any], value: dict[str, Any] | None) -> str:
    table = topic.rsplit(".", 1)[-1]
    if value is None:
        return f"{table:<12} {key.get('row_id'):<14} tombstone"
    op = {"c": "insert", "u": "update", "d": "delete", "r": "snapshot"}.get(
        value["op"], value["op"]
    )
    row = value.get("after") or value.get("before") or {}
    shown = {k: v for k, v in row.items() if v is not None and k not in _COMMON}
    return f"{table:<12} {key.get('row_id'):<14} {op:<8} {json.dumps(shown)[:110]}"


_COMMON = {"created", "created_by", "last_upd", "last_upd_by", "modification_num", "conflict_id"}


def main() -> int:
    settings = Settings.from_env()
    tag = secrets.token_hex(3).upper()
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"cdc-demo-{uuid.uuid4()}",
            # Earliest plus a filter on our ROW_IDs: topics created by our own first insert are
            # read from their start, which "latest" could skip.
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 1000,
        }
    )
    consumer.subscribe([f"^{settings.source_topic_prefix}\\.{settings.source_schema}\\..*"])
    ids = set(write_demo_rows(settings.siebel_dsn.get_secret_value(), tag))
    print(f"wrote demo rows {sorted(ids)}; change events from Kafka:")
    expected, seen, deadline = 7, 0, time.monotonic() + 60
    try:
        while seen < expected and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                if error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    print("kafka:", error, file=sys.stderr)
                continue
            key = json.loads(msg.key() or b"{}")
            if key.get("row_id") not in ids:
                continue
            raw = msg.value()
            value = json.loads(raw) if raw else None
            print(" ", describe(str(msg.topic()), key, value))
            seen += 1
    finally:
        consumer.close()
    if seen < expected:
        print(f"only {seen} of {expected} change events arrived in 60 s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
