"""Debezium captures inserts, updates and deletes of every Siebel table the product reads."""

from __future__ import annotations

from collections import defaultdict

import psycopg
import pytest
from psycopg import sql

from streams.settings import Settings
from streams.siebel_db import insert_row
from tests.integration.conftest import Event, collect, new_row_id

pytestmark = pytest.mark.integration

# Per table: the columns a new row needs, and one mapped column an update changes.
TABLES: dict[str, tuple[dict[str, object], tuple[str, object]]] = {
    "s_org_ext": (
        {"par_row_id": "1-PARTY", "name": "Acme Utilities Ltd", "accnt_type_cd": "Customer"},
        ("name", "Acme Utilities Limited"),
    ),
    "s_contact": ({"fst_name": "Grace", "last_name": "Hopper"}, ("cell_ph_num", "+1 555 0199")),
    "s_party_per": ({"party_id": "1-PARTY", "person_id": "1-PERSON"}, ("rel_type_cd", "Owner")),
    "s_addr_per": ({"addr": "1 Main St", "city": "Springfield"}, ("zipcode", "62704")),
    "s_con_addr": ({"accnt_id": "1-ACCT", "addr_per_id": "1-ADDR"}, ("main_addr_flg", "Y")),
    "s_inv_prof": ({"accnt_id": "1-ACCT", "name": "Main billing"}, ("bill_media", "Email")),
    "s_stmt_prof": ({"accnt_id": "1-ACCT", "copies": 1}, ("copies", "2")),
    "s_order": ({"order_num": "ORD-1", "status_cd": "Pending"}, ("status_cd", "Submitted")),
    "s_order_item": ({"order_id": "1-ORDER", "ln_num": 1}, ("status_cd", "Open")),
}


def test_insert_update_delete_of_every_table_arrive_as_debezium_events(
    pg: psycopg.Connection, settings: Settings
) -> None:
    ids: dict[str, str] = {}
    for n, (table, (row, (column, value))) in enumerate(TABLES.items()):
        ids[table] = row_id = new_row_id(n)
        insert_row(pg, table, {"row_id": row_id, **row})
        pg.execute(
            sql.SQL(
                "UPDATE siebel.{} SET {} = %s, modification_num = modification_num + 1 "
                "WHERE row_id = %s"
            ).format(sql.Identifier(table), sql.Identifier(column)),
            (value, row_id),
        )
        pg.execute(
            sql.SQL("DELETE FROM siebel.{} WHERE row_id = %s").format(sql.Identifier(table)),
            (row_id,),
        )

    wanted = {(settings.source_topic(t), i) for t, i in ids.items()}

    def done(events: list[Event]) -> bool:
        per_key: defaultdict[tuple[str, object], int] = defaultdict(int)
        for e in events:
            per_key[(e.topic, e.key.get("row_id"))] += 1
        return all(per_key[w] >= 4 for w in wanted)  # c, u, d and the tombstone

    events = collect(
        settings,
        [settings.source_topic(t) for t in TABLES],
        keep=lambda e: (e.topic, e.key.get("row_id")) in wanted,
        done=done,
    )

    for table, row_id in ids.items():
        row, (column, value) = TABLES[table]
        mine = [e for e in events if e.key == {"row_id": row_id}]
        ops = [e.value["op"] if e.value else None for e in mine]
        assert ops == ["c", "u", "d", None], f"{table}: got {ops}"
        created, updated, deleted, _tombstone = (e.value for e in mine)
        assert created is not None
        assert updated is not None
        assert deleted is not None
        assert created["before"] is None
        assert created["after"]["row_id"] == row_id  # type: ignore[index]
        assert updated["before"][column] != str(value)  # type: ignore[index]
        assert str(updated["after"][column]) == str(value)  # type: ignore[index]
        assert updated["after"]["modification_num"] == "1"  # type: ignore[index]
        assert deleted["after"] is None
        assert deleted["before"]["row_id"] == row_id  # type: ignore[index]  # REPLICA IDENTITY FULL
        assert deleted["before"][column] is not None  # type: ignore[index]
        assert created["source"]["table"] == table  # type: ignore[index]
        assert created["source"]["schema"] == settings.source_schema  # type: ignore[index]


def test_rows_of_one_transaction_carry_its_transaction_id(
    pg: psycopg.Connection, settings: Settings
) -> None:
    acct, line = new_row_id(1), new_row_id(2)
    with pg.transaction():
        insert_row(pg, "s_order_item", {"row_id": line, "order_id": "1-ORD", "bill_accnt_id": acct})
        insert_row(pg, "s_org_ext", {"row_id": acct, "par_row_id": acct, "name": "Txn Test"})
    events = collect(
        settings,
        [settings.source_topic("s_org_ext"), settings.source_topic("s_order_item")],
        keep=lambda e: e.key.get("row_id") in (acct, line),
        done=lambda ev: len(ev) >= 2,
    )
    assert len(events) == 2
    txids = {e.value["source"]["txId"] for e in events if e.value}  # type: ignore[index]
    assert len(txids) == 1
    # provide.transaction.metadata: the connector also says which transaction each event is in.
    assert all(e.value and e.value.get("transaction") for e in events)
