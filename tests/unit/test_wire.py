"""The wire form of the internal topics (streams/core/wire.py): what one agent writes, the next
reads back the same; what is not a message of that topic is bad input (dead-lettered)."""

from __future__ import annotations

import json

import pytest

from streams.core import wire
from streams.core.debezium import SourcePosition
from streams.core.events import Answer, RowEvent, Subscription
from streams.errors import InputError

SRC = SourcePosition("siebel", "siebel", "siebel", "s_contact", 4096, None, "77", 1, False)


def test_orders_messages_round_trip() -> None:
    msg = wire.OrderRow("order_line", "1-L", {"row_id": "1-L", "order_id": "1-O"}, SRC)
    assert wire.decode_order(wire.encode_order(msg)) == msg


@pytest.mark.parametrize(
    "msg",
    [
        wire.RefRow("contact", "1-C", {"row_id": "1-C", "last_name": "Hopper"}, SRC),
        wire.RefRow("address", "1-D", None, SRC),  # deleted
        Subscription("contact", "1-C", "1-ACCT", True),
        Subscription("address", "1-D", "1-ACCT", False),
    ],
)
def test_refs_messages_round_trip_with_their_key(msg: wire.RefRow | Subscription) -> None:
    ref_id = msg.row_id if isinstance(msg, wire.RefRow) else msg.ref_id
    key = wire.ref_key(msg.entity, ref_id)
    assert wire.decode_ref(key, wire.encode_ref(msg)) == msg
    assert json.loads(wire.encode_ref(msg))["kind"] in ("row", "subscription")


def test_refs_records_written_before_kind_are_still_read() -> None:
    old = json.dumps({"type": "subscription", "account_id": "1-A", "active": True}).encode()
    assert wire.decode_ref(b"contact:1-C", old) == Subscription("contact", "1-C", "1-A", True)


@pytest.mark.parametrize(
    "event",
    [RowEvent("account", "1-A", {"row_id": "1-A"}, SRC), Answer("contact", "1-C", None, SRC)],
)
def test_hub_events_round_trip(event: RowEvent | Answer) -> None:
    assert wire.decode_hub(wire.encode_hub(event)) == event


@pytest.mark.parametrize(
    ("decode", "value"),
    [
        (wire.decode_order, b"not json"),
        (wire.decode_order, b"[1, 2]"),
        (wire.decode_order, b'{"row": null}'),
        (wire.decode_hub, b'{"kind": "nonsense"}'),
        (wire.decode_hub, None),
        (lambda v: wire.decode_ref(b"contact:1-C", v), b'{"kind": "gossip"}'),
        (lambda v: wire.decode_ref(b"no-colon", v), b'{"kind": "row"}'),
    ],
)
def test_what_is_not_a_message_of_the_topic_is_bad_input(decode: object, value: bytes) -> None:
    with pytest.raises(InputError):
        decode(value)  # type: ignore[operator]
