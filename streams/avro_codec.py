"""CC&B commands as Avro in the Confluent wire format, with fastavro and the schema registry.

Wire format: magic byte 0, the schema id as 4 bytes big-endian, then Avro binary. The running
service never registers schemas: it looks its schema up and fails clearly when the registry does
not have it. Registration is explicit: `python -m streams.avro_codec register` (`make
register-schemas`), which also sets the subject's compatibility to BACKWARD.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
from pathlib import Path
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from streams.errors import ConfigError, DecodeError
from streams.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "avro" / "customer_command.avsc"
MAGIC = 0
_HEADER = struct.Struct(">bI")


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def parse(schema: dict[str, Any]) -> Any:
    return fastavro.parse_schema(schema)


def encode(schema_id: int, parsed: Any, record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    out.write(_HEADER.pack(MAGIC, schema_id))
    fastavro.schemaless_writer(out, parsed, record)
    return out.getvalue()


def split_header(data: bytes) -> tuple[int, bytes]:
    if len(data) < _HEADER.size:
        raise DecodeError(f"{len(data)} bytes is too short for the Confluent wire format")
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise DecodeError(f"magic byte {magic}, expected {MAGIC}: not Confluent wire format")
    return schema_id, data[_HEADER.size :]


def decode(data: bytes, writer: Any, reader: Any | None = None) -> dict[str, Any]:
    _, payload = split_header(data)
    record = fastavro.schemaless_reader(io.BytesIO(payload), writer, reader)
    if not isinstance(record, dict):
        raise DecodeError(f"expected an Avro record, decoded {type(record).__name__}")
    return record


def subject_for(topic: str) -> str:
    return f"{topic}-value"  # TopicNameStrategy, what Connect sinks and ksqlDB expect


class CommandSerializer:
    """Serialises commands with the registered id of the schema in `avro/`."""

    def __init__(
        self, client: SchemaRegistryClient, subject: str, schema_path: Path = SCHEMA_FILE
    ) -> None:
        schema = load_schema(schema_path)
        try:
            registered = client.lookup_schema(subject, Schema(json.dumps(schema), "AVRO"))
        except SchemaRegistryError as exc:
            raise ConfigError(
                f"schema {schema_path.name} is not registered under {subject} "
                f"({exc}); register it with `make register-schemas`"
            ) from exc
        if registered.schema_id is None:
            raise ConfigError(f"registry returned no id for {subject}")
        self.schema_id: int = registered.schema_id
        self._parsed = parse(schema)

    def __call__(self, record: dict[str, Any]) -> bytes:
        return encode(self.schema_id, self._parsed, record)


class CommandDeserializer:
    """Reads commands written with any registered version, resolved to the current schema."""

    def __init__(self, client: SchemaRegistryClient, schema_path: Path = SCHEMA_FILE) -> None:
        self._client = client
        self._reader = parse(load_schema(schema_path))
        self._writers: dict[int, Any] = {}

    def __call__(self, data: bytes) -> dict[str, Any]:
        schema_id, _ = split_header(data)
        if schema_id not in self._writers:
            schema = self._client.get_schema(schema_id)
            self._writers[schema_id] = parse(json.loads(schema.schema_str or "{}"))
        return decode(data, self._writers[schema_id], self._reader)


def register(client: SchemaRegistryClient, subject: str, schema_path: Path = SCHEMA_FILE) -> int:
    """Register the schema under `subject` with BACKWARD compatibility; returns its id."""
    client.set_compatibility(subject_name=subject, level="BACKWARD")
    schema = Schema(json.dumps(load_schema(schema_path)), "AVRO")
    return int(client.register_schema(subject, schema))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.avro_codec")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("register", help="register avro/customer_command.avsc (BACKWARD)")
    parser.parse_args(argv)
    settings = Settings.from_env()
    client = SchemaRegistryClient(settings.schema_registry_config())
    subject = subject_for(settings.commands_topic)
    schema_id = register(client, subject)
    print(f"registered {SCHEMA_FILE.name} as {subject} id {schema_id} (compatibility BACKWARD)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
