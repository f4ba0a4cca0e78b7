"""The wire form of every internal-topic message (DESIGN §5), in one place: the agents send and
read these, and the in-memory topology of the unit tests (tests/unit/world.py) passes its
messages through the same encode → decode.

    orders-events   key order ROW_ID          OrderRow: a row of the order or one of its lines
    refs-events     key "<entity>:<ROW_ID>"   RefRow (a contact or address changed) or
                                              Subscription (an account follows / stops following)
    hub-events      key account ROW_ID        streams.core.events.HubEvent (`kind` names it)

Every message is a JSON object whose `kind` says what it is. Records written before `kind` was
used on refs-events carry `type` instead and are still read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from streams.core.debezium import SourcePosition
from streams.core.events import HubEvent, Subscription, hub_event_from_json, hub_event_to_json
from streams.errors import InputError


@dataclass(frozen=True)
class OrderRow:
    entity: str  # "order" or "order_line"
    row_id: str
    row: Mapping[str, Any] | None  # None: deleted (or moved away)
    source: SourcePosition | None

    kind = "row"


@dataclass(frozen=True)
class RefRow:
    entity: str  # "contact" or "address"
    row_id: str
    row: Mapping[str, Any] | None
    source: SourcePosition | None

    kind = "row"


def _json(data: Mapping[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)


def _row_json(msg: OrderRow | RefRow) -> dict[str, Any]:
    return {
        "kind": msg.kind,
        "entity": msg.entity,
        "row_id": msg.row_id,
        "row": dict(msg.row) if msg.row is not None else None,
        "source": msg.source.to_json() if msg.source else None,
    }


def _source(data: Mapping[str, Any]) -> SourcePosition | None:
    source = data.get("source")
    return SourcePosition.from_json(source) if source else None


def _object(value: bytes | None) -> dict[str, Any]:
    if value is None:
        raise InputError("internal record without a value")
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"internal record is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError("internal record is not a JSON object")
    return data


# --- orders-events ---------------------------------------------------------------------------


def encode_order(msg: OrderRow) -> bytes:
    return _json(_row_json(msg))


def decode_order(value: bytes | None) -> OrderRow:
    data = _object(value)
    try:
        return OrderRow(data["entity"], data["row_id"], data.get("row"), _source(data))
    except KeyError as exc:
        raise InputError(f"orders message without {exc}") from exc


# --- refs-events -----------------------------------------------------------------------------


def ref_key(entity: str, ref_id: str) -> bytes:
    return f"{entity}:{ref_id}".encode()


def split_ref_key(key: bytes | str) -> tuple[str, str]:
    text = key.decode() if isinstance(key, bytes) else key
    entity, sep, ref_id = text.partition(":")
    if not sep or not ref_id:
        raise InputError(f"refs key {text!r} is not '<entity>:<row id>'")
    return entity, ref_id


def encode_ref(msg: RefRow | Subscription) -> bytes:
    if isinstance(msg, RefRow):
        return _json(_row_json(msg))
    return _json({"kind": "subscription", "account_id": msg.account_id, "active": msg.active})


def decode_ref(key: bytes | str, value: bytes | None) -> RefRow | Subscription:
    entity, ref_id = split_ref_key(key)
    data = _object(value)
    kind = data.get("kind", data.get("type"))  # `type`: records from before `kind`
    try:
        if kind == "row":
            return RefRow(entity, ref_id, data.get("row"), _source(data))
        if kind == "subscription":
            return Subscription(entity, ref_id, data["account_id"], bool(data["active"]))
    except KeyError as exc:
        raise InputError(f"refs message without {exc}") from exc
    raise InputError(f"unknown refs message kind {kind!r}")


# --- hub-events ------------------------------------------------------------------------------


def encode_hub(event: HubEvent) -> bytes:
    return _json(hub_event_to_json(event))


def decode_hub(value: bytes | None) -> HubEvent:
    try:
        return hub_event_from_json(_object(value))
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"unreadable hub event: {exc!r}") from exc
