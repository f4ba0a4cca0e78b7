"""The schema registry speaks the Confluent API the product and its users' tools rely on."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Mapping

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from streams.settings import Settings

pytestmark = pytest.mark.integration

SCHEMA: dict[str, object] = {
    "type": "record",
    "name": "Probe",
    "namespace": "com.example.ccb",
    "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "long"}],
}


def _register_over_rest(base_url: str, subject: str, schema: Mapping[str, object]) -> int:
    body = json.dumps({"schemaType": "AVRO", "schema": json.dumps(schema)}).encode()
    req = urllib.request.Request(
        f"{base_url}/subjects/{subject}/versions",
        data=body,
        method="POST",
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(json.loads(resp.read())["id"])


def test_schema_registered_over_rest_is_read_back_by_confluent_client(settings: Settings) -> None:
    subject = f"it-probe-{uuid.uuid4().hex[:8]}-value"
    schema_id = _register_over_rest(settings.schema_registry_url, subject, SCHEMA)

    client = SchemaRegistryClient(settings.schema_registry_config())
    latest = client.get_latest_version(subject)
    assert latest.schema_id == schema_id
    assert json.loads(str(latest.schema.schema_str)) == SCHEMA
    assert latest.schema.schema_type == "AVRO"
    by_id = client.get_schema(schema_id)
    assert json.loads(str(by_id.schema_str)) == SCHEMA
    assert subject in client.get_subjects()
