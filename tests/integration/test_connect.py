"""Kafka Connect runs the Debezium connector on internal topics that keep their state."""

from __future__ import annotations

import json
import urllib.request

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from streams.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def test_connector_and_its_task_are_running(settings: Settings) -> None:
    status = _get(f"{settings.connect_url}/connectors/siebel-postgres/status")
    assert isinstance(status, dict)
    assert status["connector"]["state"] == "RUNNING"
    assert [t["state"] for t in status["tasks"]] == ["RUNNING"]


def test_registered_config_is_the_connector_file(settings: Settings) -> None:
    live = _get(f"{settings.connect_url}/connectors/siebel-postgres/config")
    assert live == json.loads((ROOT / "connectors" / "siebel-postgres.json").read_text())


def test_connect_internal_topics_are_compacted(admin: AdminClient) -> None:
    topics = ["_connect-configs", "_connect-offsets", "_connect-status"]
    futures = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, t) for t in topics])
    for resource, future in futures.items():
        assert future.result()["cleanup.policy"].value == "compact", resource.name
