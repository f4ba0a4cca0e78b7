"""Writing Siebel rows into the PostgreSQL stand-in (simulator, demo, tests): the application
server's side of the database, never used by the sync itself (R1: it only reads the CDC stream)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql


def insert_row(conn: psycopg.Connection, table: str, row: Mapping[str, Any]) -> None:
    conn.execute(
        sql.SQL("INSERT INTO siebel.{} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        ),
        list(row.values()),
    )


def update_row(
    conn: psycopg.Connection, table: str, row_id: str, values: Mapping[str, Any], *, touch: bool
) -> None:
    """UPDATE by ROW_ID; `touch` also bumps LAST_UPD and MODIFICATION_NUM as Siebel does."""
    sets: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values]
    if touch:
        sets += [sql.SQL("last_upd = now()"), sql.SQL("modification_num = modification_num + 1")]
    conn.execute(
        sql.SQL("UPDATE siebel.{} SET {} WHERE row_id = %s").format(
            sql.Identifier(table), sql.SQL(", ").join(sets)
        ),
        [*values.values(), row_id],
    )
