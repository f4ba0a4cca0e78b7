"""The connector files: the local one and the production one capture the same Siebel tables."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT

CONNECTORS = ROOT / "connectors"
DDL = (ROOT / "db" / "siebel-schema.sql").read_text()


def _load(name: str) -> dict[str, str]:
    config = json.loads((CONNECTORS / name).read_text())
    assert all(isinstance(v, str) for v in config.values()), "Connect configs are string maps"
    return config


def _tables(config: dict[str, str]) -> set[str]:
    return {t.split(".", 1)[1].lower() for t in config["table.include.list"].split(",")}


POSTGRES = _load("siebel-postgres.json")
ORACLE = _load("siebel-oracle.json")


def test_both_connectors_capture_the_same_tables_under_the_same_prefix() -> None:
    assert _tables(POSTGRES) == _tables(ORACLE)
    assert len(_tables(POSTGRES)) == 9
    assert POSTGRES["topic.prefix"] == ORACLE["topic.prefix"] == "siebel"


@pytest.mark.parametrize("config", [POSTGRES, ORACLE], ids=["postgres", "oracle"])
def test_connector_emits_schemaless_json_with_heartbeats_and_transactions(
    config: dict[str, str],
) -> None:
    assert config["value.converter"] == "org.apache.kafka.connect.json.JsonConverter"
    assert config["value.converter.schemas.enable"] == "false"
    assert config["key.converter.schemas.enable"] == "false"
    assert int(config["heartbeat.interval.ms"]) > 0
    assert config["provide.transaction.metadata"] == "true"
    assert config["tombstones.on.delete"] == "true"


@pytest.mark.parametrize("config", [POSTGRES, ORACLE], ids=["postgres", "oracle"])
def test_credentials_are_config_provider_references_never_literals(config: dict[str, str]) -> None:
    for key in ("database.user", "database.password", "database.hostname"):
        assert re.fullmatch(r"\$\{(env|file):[^}]+\}", config[key]), key


def test_postgres_connector_reads_the_publication_the_schema_creates() -> None:
    assert POSTGRES["plugin.name"] == "pgoutput"
    assert POSTGRES["publication.autocreate.mode"] == "disabled"
    publication = re.search(r"CREATE PUBLICATION (\w+) FOR TABLE([^;]+);", DDL)
    assert publication is not None
    assert publication.group(1) == POSTGRES["publication.name"]
    published = {t.strip() for t in publication.group(2).split(",")}
    assert published == _tables(POSTGRES)


def test_every_captured_table_exists_with_full_replica_identity() -> None:
    for table in _tables(POSTGRES):
        assert re.search(rf"CREATE TABLE IF NOT EXISTS {table} \(", DDL), table
        assert re.search(rf"ALTER TABLE {table}\s+REPLICA IDENTITY FULL;", DDL), table


@pytest.mark.parametrize("config", [POSTGRES, ORACLE], ids=["postgres", "oracle"])
def test_debezium_hands_a_change_on_within_tens_of_milliseconds(config: dict[str, str]) -> None:
    # Debezium's queue returns a batch only once it is full (max.batch.size, 2,048) or the poll
    # interval has passed: at its default, 500 ms, a quiet office day's edit waited ~250 ms on
    # average and its command's p99 was 1.1 s (bench/RESULTS.md, the end-to-end latency)
    assert int(config["poll.interval.ms"]) <= 50
    assert int(config.get("max.batch.size", "2048")) >= 2048  # the catch-up throughput kept
