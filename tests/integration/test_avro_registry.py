"""Commands serialised with the registry-backed serializer are what Confluent tooling reads."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streams.avro_codec import CommandDeserializer, CommandSerializer, register
from streams.errors import ConfigError
from streams.settings import Settings
from tests.conftest import ROOT
from tests.unit.avro_samples import sample_commands

pytestmark = pytest.mark.integration


@pytest.fixture
def client(settings: Settings) -> SchemaRegistryClient:
    return SchemaRegistryClient(settings.schema_registry_config())


def test_command_serialised_by_us_is_decoded_by_confluent_avro_deserializer(
    client: SchemaRegistryClient,
) -> None:
    topic = f"it-ccb-commands-{uuid.uuid4().hex[:8]}"
    schema_id = register(client, f"{topic}-value")
    serializer = CommandSerializer(client, f"{topic}-value")
    assert serializer.schema_id == schema_id
    confluent = AvroDeserializer(client)
    ours = CommandDeserializer(client)
    for command in sample_commands():
        data = serializer(command)
        decoded = confluent(data, SerializationContext(topic, MessageField.VALUE))
        assert decoded == command
        assert ours(data) == command


def test_registration_sets_backward_compatibility(client: SchemaRegistryClient) -> None:
    subject = f"it-ccb-commands-{uuid.uuid4().hex[:8]}-value"
    register(client, subject)
    assert client.get_compatibility(subject) == "BACKWARD"
    # Registering the same schema again is idempotent: same id, no new version.
    first = client.get_latest_version(subject)
    register(client, subject)
    assert client.get_latest_version(subject).version == first.version


def test_serializer_never_auto_registers(client: SchemaRegistryClient) -> None:
    subject = f"it-unregistered-{uuid.uuid4().hex[:8]}-value"
    with pytest.raises(ConfigError, match="make register-schemas"):
        CommandSerializer(client, subject)
    assert subject not in client.get_subjects()


def test_the_registry_accepts_every_released_version_in_order_under_backward(
    client: SchemaRegistryClient,
) -> None:
    """The registry's own BACKWARD check, v1 then v2 (an upgrade of a live subject)."""
    subject = f"it-ccb-commands-{uuid.uuid4().hex[:8]}-value"
    history = sorted((ROOT / "avro" / "history").glob("customer_command.v*.avsc"))
    assert len(history) >= 2
    versions = [register(client, subject, path) for path in history]
    assert len(set(versions)) == len(history)  # each a new version, none refused
    assert client.get_latest_version(subject).schema_id == versions[-1]
