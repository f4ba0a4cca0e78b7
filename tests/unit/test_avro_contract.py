"""The Avro contract as bytes: golden bytes, round trips, and BACKWARD compatibility with every
committed earlier version of the schema (avro/history/)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from streams.avro_codec import SCHEMA_FILE, decode, encode, load_schema, parse, split_header
from streams.errors import DecodeError
from tests.conftest import ROOT
from tests.unit.avro_samples import sample_commands

SCHEMA = parse(load_schema())
GOLDEN = Path(__file__).parent / "golden" / "customer_command.create.hex"
HISTORY = sorted((ROOT / "avro" / "history").glob("*.avsc"))
COMMANDS = sample_commands()


def test_samples_cover_creates_updates_persons_and_businesses() -> None:
    kinds = {(c["command_type"], c["customer"]["person"]["person_or_business"]) for c in COMMANDS}
    assert kinds == {
        ("CREATE_CUSTOMER", "PERSON"),
        ("UPDATE_CUSTOMER", "PERSON"),
        ("CREATE_CUSTOMER", "BUSINESS"),
    }
    assert any(c["customer"]["account"]["autopay"] for c in COMMANDS)


@pytest.mark.parametrize("n", range(len(COMMANDS)))
def test_every_command_the_core_emits_is_valid_and_round_trips(n: int) -> None:
    command = COMMANDS[n]
    assert validate(command, SCHEMA, raise_errors=True)
    data = encode(7, SCHEMA, command)
    assert data[:5] == b"\x00\x00\x00\x00\x07"
    assert decode(data, SCHEMA) == command


def test_golden_bytes_of_a_create() -> None:
    """The exact wire bytes of a known command: any change to the schema's binary layout or to
    the mapping of these rows shows up here (regenerate only for an intended change)."""
    data = encode(1, SCHEMA, COMMANDS[0])
    assert data.hex() == GOLDEN.read_text().strip()
    assert decode(bytes.fromhex(GOLDEN.read_text().strip()), SCHEMA) == COMMANDS[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\x00\x00", "too short"), (b"\x01\x00\x00\x00\x01\x02", "magic byte 1")],
)
def test_bytes_not_in_wire_format_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        split_header(data)


def test_history_holds_the_current_schema() -> None:
    assert HISTORY, "avro/history/ must keep every released version"
    assert json.loads(HISTORY[-1].read_text()) == json.loads(SCHEMA_FILE.read_text())


def as_v1(command: dict[str, Any]) -> dict[str, Any]:
    """The same command as a v1 producer wrote it: billing routing on the account, no account
    number, no CONTACT account-persons, no per-person address source or addressee."""
    customer = command["customer"]
    main = customer["account_persons"][0]
    account = {k: v for k, v in customer["account"].items() if k != "account_number"}
    account |= {
        "bill_route_type": main["bill_route_type"],
        "bill_format": main["bill_format"],
        "bill_address_source": main["bill_address_source"],
        "bill_address": main["address"],
        "bill_email": main["email"],
    }
    v2_only = ("bill_address_source", "bill_to_contact_id", "bill_to_name")
    persons = [
        {k: v for k, v in p.items() if k not in v2_only}
        for p in customer["account_persons"]
        if p["role"] != "CONTACT"
    ]
    return command | {"customer": customer | {"account": account, "account_persons": persons}}


WRITTEN_AS = {"customer_command.v1.avsc": as_v1}


@pytest.mark.parametrize("old", HISTORY, ids=[p.name for p in HISTORY])
def test_current_schema_reads_data_written_with_every_earlier_version(old: Path) -> None:
    """BACKWARD: consumers upgraded to the current schema still read old commands."""
    writer = parse(json.loads(old.read_text()))
    shape = WRITTEN_AS.get(old.name, lambda c: c)
    for command in COMMANDS:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, writer, shape(command))
        buf.seek(0)
        read: Any = fastavro.schemaless_reader(buf, writer, SCHEMA)
        assert read["customer"]["person"] == command["customer"]["person"]


def test_a_v1_command_reads_with_v2_defaults() -> None:
    v1 = parse(json.loads((ROOT / "avro" / "history" / "customer_command.v1.avsc").read_text()))
    assert v1 != SCHEMA  # the compatibility test compares two different versions
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, v1, as_v1(COMMANDS[0]))
    buf.seek(0)
    read: Any = fastavro.schemaless_reader(buf, v1, SCHEMA)
    main = read["customer"]["account_persons"][0]
    assert (main["bill_address_source"], main["bill_to_name"]) == ("PERSON", None)
    assert read["customer"]["account"]["account_number"] is None


def test_every_field_is_documented() -> None:
    def walk(node: object) -> list[str]:
        missing = []
        if isinstance(node, dict):
            if node.get("type") == "record":
                missing += [
                    f"{node['name']}.{f['name']}" for f in node["fields"] if not f.get("doc")
                ]
            for value in node.values():
                missing += walk(value)
        elif isinstance(node, list):
            for value in node:
                missing += walk(value)
        return missing

    assert walk(load_schema()) == []


def test_the_mapping_document_names_every_schema_field() -> None:
    doc = (ROOT / "docs" / "ccb-mapping.md").read_text()

    def names(node: object) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            if node.get("type") == "record":
                found |= {f["name"] for f in node["fields"]}
            for value in node.values():
                found |= names(value)
        elif isinstance(node, list):
            for value in node:
                found |= names(value)
        return found

    # Documented: the name appears in code type as `name`, `a.name`, `name.b` or `name[]`.
    missing = sorted(n for n in names(load_schema()) if not re.search(rf"[`.]{n}[`.\[]", doc))
    assert missing == []
