"""Dead-letter records keep the original bytes and coordinates (R11); topic names and list
settings are what operators configure."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from streams.core.events import Alert
from streams.core.source_config import SourceConfig
from streams.dead_letter import Coordinates, alert_record, dead_letter, encode
from streams.errors import ConfigError, DecodeError
from streams.settings import Settings
from streams.topology import changelog_topic_names, internal_topic_names, source_topic_names

AT = Coordinates("siebel.siebel.s_contact", 3, 35)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_coordinates_read_topic_partition_at_offset() -> None:
    assert str(AT) == "siebel.siebel.s_contact[3]@35"


def test_dead_letter_keeps_the_original_bytes_and_says_what_was_wrong() -> None:
    raw = b"\x00\xffnot json"
    record = json.loads(
        encode(
            dead_letter(
                "UNREADABLE", DecodeError("value is not JSON"), AT, b'{"row_id": "1-X"}', raw, NOW
            )
        )
    )
    assert record["error_class"] == "DecodeError"
    assert record["message"] == "value is not JSON"
    assert record["source"] == {"topic": AT.topic, "partition": 3, "offset": 35}
    assert base64.b64decode(record["value_b64"]) == raw
    assert base64.b64decode(record["key_b64"]) == b'{"row_id": "1-X"}'
    assert record["at"] == "2026-11-25T10:00:00+00:00"


def test_tombstone_dead_letter_has_no_value() -> None:
    assert dead_letter("X", ValueError("v"), AT, None, None, NOW)["value_b64"] is None


def test_alert_record_carries_reason_account_and_cause() -> None:
    alert = Alert("ACCOUNT_DELETED_AFTER_SYNC", "1-A", "deleted", {"k": 1})
    record = alert_record(alert, AT, b"1-A", b"{}", NOW)
    assert (record["kind"], record["reason"], record["account_id"]) == (
        "ALERT",
        "ACCOUNT_DELETED_AFTER_SYNC",
        "1-A",
    )
    assert record["detail"] == {"k": 1}
    assert alert_record(alert, None, None, None, NOW)["source"] is None


def test_topic_names_follow_settings() -> None:
    settings = Settings.from_env({"SYNC_APP_ID": "sync-prod", "SYNC_SOURCE_SCHEMA": "SIEBEL"})
    sources = source_topic_names(settings, SourceConfig.load())
    assert "siebel.SIEBEL.s_org_ext" in sources
    assert len(sources) == 9
    assert internal_topic_names(settings)["hub"] == "sync-prod-hub-events"
    assert "sync-prod-refs-changelog" in changelog_topic_names(settings)


def test_trigger_statuses_and_eligible_classes_are_comma_separated_lists() -> None:
    settings = Settings.from_env(
        {
            "SYNC_TRIGGER_STATUSES": "Submitted, Open ,In Progress",
            "SYNC_ELIGIBLE_ACCOUNT_CLASSES": "Customer,Billing Aggregator",
        }
    )
    assert settings.trigger_statuses == {"Submitted", "Open", "In Progress"}
    assert settings.eligible_classes == {"Customer", "Billing Aggregator"}
    with pytest.raises(ConfigError, match="names nothing"):
        Settings.from_env({"SYNC_TRIGGER_STATUSES": " , "})
