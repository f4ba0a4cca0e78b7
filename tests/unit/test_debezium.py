"""Debezium JSON-converter envelopes into typed change events; malformed input names its fault."""

from __future__ import annotations

import json

import pytest

from streams.core.debezium import (
    ChangeEvent,
    SourcePosition,
    Tombstone,
    is_stale,
    parse_envelope,
)
from streams.errors import DecodeError

KEY = json.dumps({"row_id": "1-4MS-3423"}).encode()
SOURCE = {
    "version": "3.6.3.Final",
    "connector": "postgresql",
    "name": "siebel",
    "ts_ms": 1795596794625,
    "snapshot": "false",
    "db": "siebel",
    "schema": "siebel",
    "table": "s_org_ext",
    "txId": 812,
    "lsn": 26843784,
}
ROW = {"row_id": "1-4MS-3423", "name": "Hopper Household", "modification_num": "0"}


def envelope(op: str, before: object = None, after: object = ROW, **over: object) -> bytes:
    return json.dumps(
        {
            "before": before,
            "after": after,
            "source": SOURCE,
            "op": op,
            "ts_ms": 1795596794700,
            "transaction": None,
        }
        | over
    ).encode()


@pytest.mark.parametrize("op", ["c", "r", "u"])
def test_insert_snapshot_and_update_carry_the_row_after(op: str) -> None:
    event = parse_envelope(KEY, envelope(op, before=ROW if op == "u" else None))
    assert isinstance(event, ChangeEvent)
    assert event.op == op
    assert event.table == "s_org_ext"
    assert event.key == {"row_id": "1-4MS-3423"}
    assert event.row["name"] == "Hopper Household"
    assert event.source.lsn == 26843784
    assert event.source.tx_id == "812"
    assert event.source.commit_ms == 1795596794625
    assert event.source.snapshot is False


def test_delete_carries_the_row_before() -> None:
    event = parse_envelope(KEY, envelope("d", before=ROW, after=None))
    assert isinstance(event, ChangeEvent)
    assert event.is_delete
    assert event.row == ROW


def test_tombstone_is_recognised() -> None:
    assert parse_envelope(KEY, None) == Tombstone({"row_id": "1-4MS-3423"})


def test_schema_wrapped_envelope_is_unwrapped() -> None:
    wrapped = json.dumps({"schema": {"type": "struct"}, "payload": json.loads(envelope("c"))})
    key = json.dumps({"schema": {"type": "struct"}, "payload": {"row_id": "1-4MS-3423"}})
    event = parse_envelope(key.encode(), wrapped.encode())
    assert isinstance(event, ChangeEvent)
    assert event.key == {"row_id": "1-4MS-3423"}


def test_oracle_upper_case_names_are_lowered_and_scn_kept_as_text() -> None:
    oracle_source = SOURCE | {
        "connector": "oracle",
        "table": "S_ORG_EXT",
        "schema": "SIEBEL",
        "scn": "91234567890123",
        "lsn": None,
        "snapshot": "last",
    }
    raw = json.dumps(
        {
            "before": None,
            "after": {"ROW_ID": "1-X", "NAME": "N"},
            "source": oracle_source,
            "op": "r",
        }
    )
    event = parse_envelope(b'{"ROW_ID": "1-X"}', raw.encode())
    assert isinstance(event, ChangeEvent)
    assert event.table == "s_org_ext"
    assert event.key == {"row_id": "1-X"}
    assert event.row == {"row_id": "1-X", "name": "N"}
    assert event.source.scn == "91234567890123"
    assert event.source.snapshot is True


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (KEY, b"\x00\x00\x00\x01garbage", "value is not JSON"),
        (KEY, b"[1, 2]", "must be a Debezium envelope object"),
        (KEY, envelope("x"), "'op' must be one of"),
        (KEY, envelope("c", after=None), "without 'after'"),
        (KEY, envelope("d", before=None, after=None), "REPLICA IDENTITY FULL"),
        (KEY, envelope("c", after=[1]), "'after' must be an object"),
        (KEY, envelope("c", source=None), "no 'source' block"),
        (KEY, envelope("c", source={"db": "x"}), "'source' has no 'table'"),
        (None, envelope("c"), "has no key"),
        (b"{}", envelope("c"), "non-empty object"),
        (b"\xff", envelope("c"), "key is not JSON"),
    ],
)
def test_malformed_input_raises_decode_error_saying_what_is_wrong(
    key: bytes | None, value: bytes, message: str
) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_envelope(key, value)


@pytest.mark.parametrize(
    ("lsn", "scn", "expected"),
    [
        (24023128, None, 24023128),  # PostgreSQL
        (None, "2216581000000123456", 2216581000000123456),  # Oracle: beyond 2**53, exact
        (None, "not-a-number", None),
        (None, None, None),
    ],
)
def test_log_position_orders_changes_of_one_row(
    lsn: int | None, scn: str | None, expected: int | None
) -> None:
    source = SourcePosition(
        "postgresql", "siebel", "siebel", "s_org_ext", lsn, scn, None, None, False
    )
    assert source.log_position == expected


@pytest.mark.parametrize(
    ("position", "last_applied", "stale"),
    [
        (100, 200, True),  # older than what the state holds: a reprocessed event
        (200, 200, False),  # the same change again: harmless, it changes nothing
        (300, 200, False),
        (None, 200, False),  # no position: cannot tell, so apply
        (100, None, False),  # nothing applied yet
    ],
)
def test_is_stale_only_for_a_strictly_older_change(
    position: int | None, last_applied: int | None, stale: bool
) -> None:
    source = SourcePosition(
        "postgresql", "siebel", "siebel", "s_org_ext", position, None, None, None, False
    )
    assert is_stale(source, last_applied) is stale
    assert is_stale(None, last_applied) is False


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ('"big": 123456789012345678901234567890', 123456789012345678901234567890),
        ('"big": NaN', "nan"),
        ('"big": "\\ud800"', "\ud800"),
    ],
)
def test_json_the_fast_parser_refuses_is_read_as_the_standard_library_reads_it(
    column: str, expected: object
) -> None:
    raw = envelope("c").decode().replace('"row_id"', column + ', "row_id"', 1).encode()
    change = parse_envelope(KEY, raw)
    assert not isinstance(change, Tombstone)
    assert change.after is not None
    got = change.after["big"]
    assert (str(got) if expected == "nan" else got) == expected
