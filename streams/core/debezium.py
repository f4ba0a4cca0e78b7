"""Debezium change-event envelopes (JSON converter) into typed change events.

Accepts both converter flavours: `schemas.enable=false` (the envelope itself) and `true` (the
envelope under "payload" beside a "schema"). A tombstone (null value after a delete) is its own
type. Anything else raises DecodeError saying what was wrong: it becomes a dead-letter record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from streams.errors import DecodeError

Op = Literal["c", "u", "d", "r"]
OPS: frozenset[str] = frozenset({"c", "u", "d", "r"})


@dataclass(frozen=True)
class SourcePosition:
    """Where an event came from in the database log: enough to trace and order it."""

    connector: str
    db: str
    schema: str
    table: str
    lsn: int | None  # PostgreSQL
    scn: str | None  # Oracle (a string: SCNs outgrow JavaScript-safe integers)
    tx_id: str | None
    commit_ms: int | None
    snapshot: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "db": self.db,
            "schema": self.schema,
            "table": self.table,
            "lsn": self.lsn,
            "scn": self.scn,
            "tx_id": self.tx_id,
            "commit_ms": self.commit_ms,
            "snapshot": self.snapshot,
        }

    @property
    def log_position(self) -> int | None:
        """The change's place in the database log (PostgreSQL LSN, Oracle SCN), or None.

        Changes of *one row* reach the log in the order they were made (the second writer waits
        for the first one's row lock), so for one row a lower position is an older change.
        """
        if self.lsn is not None:
            return int(self.lsn)
        if self.scn:
            try:
                return int(self.scn)
            except ValueError:
                return None
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourcePosition:
        return cls(
            connector=str(data.get("connector", "")),
            db=str(data.get("db", "")),
            schema=str(data.get("schema", "")),
            table=str(data.get("table", "")),
            lsn=data.get("lsn"),
            scn=data.get("scn"),
            tx_id=data.get("tx_id"),
            commit_ms=data.get("commit_ms"),
            snapshot=bool(data.get("snapshot")),
        )


def is_stale(source: SourcePosition | None, last_applied: int | None) -> bool:
    """R9: a change older than the last one applied to the same row is a reprocessed event
    (a replay, or at-least-once after a crash); applying it would send CC&B stale data."""
    position = source.log_position if source is not None else None
    return position is not None and last_applied is not None and position < last_applied


def row_key(entity: str, row_id: str) -> str:
    """How per-row log positions are keyed in agent state: "<entity>/<row id>"."""
    return f"{entity}/{row_id}"


def with_position(
    positions: Mapping[str, int], entity: str, row_id: str, source: SourcePosition | None
) -> Mapping[str, int]:
    """`positions` after a change of that row was applied (unchanged when it has none)."""
    position = source.log_position if source is not None else None
    if position is None:
        return positions
    return {**positions, row_key(entity, row_id): position}


@dataclass(frozen=True)
class ChangeEvent:
    """One row change: `before`/`after` with lower-cased column names (Oracle sends upper case)."""

    table: str
    op: Op
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: SourcePosition

    @property
    def row(self) -> dict[str, Any]:
        """The row as it is now, or as it was before a delete."""
        row = self.after if self.op != "d" else self.before
        assert row is not None  # guaranteed by parse_envelope
        return row

    @property
    def is_delete(self) -> bool:
        return self.op == "d"


@dataclass(frozen=True)
class Tombstone:
    """The null-valued record Debezium writes after a delete, for log compaction."""

    key: dict[str, Any]


def _lower_keys(row: Any, what: str) -> dict[str, Any] | None:
    if row is None:
        return None
    if not isinstance(row, dict):
        raise DecodeError(f"'{what}' must be an object or null, got {type(row).__name__}")
    return {str(k).lower(): v for k, v in row.items()}


# orjson reads an integer past 64 bits as a float, losing digits; such input goes to json
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def _json(raw: bytes | str, what: str) -> Any:
    if isinstance(raw, bytes) and not _LONG_NUMBER.search(raw):
        try:
            return orjson.loads(raw)  # a few times the standard library's speed
        except orjson.JSONDecodeError:
            pass  # orjson is stricter (NaN, lone surrogates): json decides, as before
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"{what} is not JSON: {exc}") from exc


def _unwrap(doc: Any) -> Any:
    # schemas.enable=true wraps the document as {"schema": ..., "payload": ...}
    if isinstance(doc, dict) and set(doc) == {"schema", "payload"}:
        return doc["payload"]
    return doc


def parse_key(raw: bytes | str | None) -> dict[str, Any]:
    if raw is None:
        raise DecodeError("record has no key: Debezium keys every row event by its primary key")
    key = _unwrap(_json(raw, "key"))
    lowered = _lower_keys(key, "key")
    if not lowered:
        raise DecodeError("key must be a non-empty object of primary-key columns")
    return lowered


def _source(src: Any) -> SourcePosition:
    if not isinstance(src, dict):
        raise DecodeError("envelope has no 'source' block")
    try:
        table = str(src["table"])
        connector = str(src.get("connector", ""))
    except KeyError as exc:
        raise DecodeError(f"'source' has no {exc.args[0]!r}") from exc
    lsn = src.get("lsn")
    scn = src.get("scn")
    tx_id = src.get("txId")
    snapshot = src.get("snapshot")
    return SourcePosition(
        connector=connector,
        db=str(src.get("db", "")),
        schema=str(src.get("schema", "")),
        table=table.lower(),
        lsn=int(lsn) if isinstance(lsn, int | str) and str(lsn).isdigit() else None,
        scn=None if scn is None else str(scn),
        tx_id=None if tx_id is None else str(tx_id),
        commit_ms=src.get("ts_ms") if isinstance(src.get("ts_ms"), int) else None,
        # "true", "last", "first", "incremental" mean a snapshot read; "false"/absent do not.
        snapshot=snapshot not in (None, False, "false"),
    )


def parse_envelope(
    raw_key: bytes | str | None, raw_value: bytes | str | None
) -> ChangeEvent | Tombstone:
    """Decode one record of a Debezium data topic."""
    key = parse_key(raw_key)
    if raw_value is None or raw_value in (b"", ""):
        return Tombstone(key=key)
    doc = _unwrap(_json(raw_value, "value"))
    if not isinstance(doc, dict):
        raise DecodeError(f"value must be a Debezium envelope object, got {type(doc).__name__}")
    op = doc.get("op")
    if op not in OPS:
        raise DecodeError(f"envelope 'op' must be one of c, u, d, r; got {op!r}")
    before = _lower_keys(doc.get("before"), "before")
    after = _lower_keys(doc.get("after"), "after")
    if op == "d" and before is None:
        raise DecodeError("delete event without 'before': set REPLICA IDENTITY FULL on the table")
    if op != "d" and after is None:
        raise DecodeError(f"op {op!r} event without 'after'")
    source = _source(doc.get("source"))
    return ChangeEvent(
        table=source.table, op=op, key=key, before=before, after=after, source=source
    )
