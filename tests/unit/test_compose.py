"""docker-compose.yml parses and agrees with the local stack (it cannot run on these machines)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOTENV = dict(
    line.split("=", 1)
    for line in (ROOT / ".env").read_text().splitlines()
    if line and not line.startswith("#")
)
POM = (ROOT / "stack" / "pom.xml").read_text()
SERVICES = COMPOSE["services"]
LONG_RUNNING = ["postgres", "kafka", "registry", "connect", "worker"]
ONE_SHOT = ["connect-init", "schema-init"]


def _pom_version(prop: str) -> str:
    match = re.search(rf"<{prop}>([^<]+)</{prop}>", POM)
    assert match, prop
    return match.group(1)


def test_images_are_pinned_in_dotenv_to_the_local_stack_versions() -> None:
    for name, service in SERVICES.items():
        var = re.fullmatch(r"\$\{(\w+)\}", service["image"])
        assert var, f"{name}: image must come from .env"
        image = DOTENV[var.group(1)]
        assert ":" in image, image
        assert not image.endswith(":latest"), image
    assert DOTENV["KAFKA_IMAGE"].endswith(":" + _pom_version("kafka.version"))
    assert DOTENV["DEBEZIUM_CONNECT_IMAGE"].endswith(":" + _pom_version("debezium.version"))
    assert DOTENV["APICURIO_IMAGE"].endswith(":" + _pom_version("apicurio.version"))
    assert DOTENV["POSTGRES_IMAGE"].split(":")[1].startswith("15.")


def test_long_running_services_have_healthchecks_and_wait_for_healthy_dependencies() -> None:
    for name in LONG_RUNNING:
        assert "healthcheck" in SERVICES[name], name
    for name, service in SERVICES.items():
        for dep, cond in service.get("depends_on", {}).items():
            assert dep in SERVICES
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert cond == {"condition": wanted}, f"{name} -> {dep}"


def test_ports_bind_loopback_only_on_the_local_stack_ports() -> None:
    published = {p.split(":")[1] for s in SERVICES.values() for p in s.get("ports", [])}
    assert published == {"55432", "19092", "18081", "18083", "6066"}
    for service in SERVICES.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


def _mounts(service: str) -> dict[str, str]:
    return {
        (ROOT / src).resolve().relative_to(ROOT).as_posix(): dst
        for src, dst, *_ in (v.split(":") for v in SERVICES[service].get("volumes", []))
        if src.startswith("./")
    }


def test_same_connector_file_and_schema_ddl_as_the_local_stack() -> None:
    connector = _mounts("connect-init")
    assert "connectors/siebel-postgres.json" in connector
    assert any("siebel-postgres/config" in arg for arg in SERVICES["connect-init"]["command"])
    db = _mounts("postgres")
    assert db["db"] == "/siebel-db"
    init = (ROOT / "db" / "docker-init.sh").read_text()
    assert "siebel-schema.sql" in init
    assert "siebel-roles.sql" in init
    assert Path(ROOT / "db" / "docker-init.sh").stat().st_mode & 0o111


def test_connect_resolves_the_connector_file_references() -> None:
    env = SERVICES["connect"]["environment"]
    assert "EnvVarConfigProvider" in env["CONNECT_CONFIG_PROVIDERS_ENV_CLASS"]
    for var in (
        "SIEBEL_DB_HOST",
        "SIEBEL_DB_PORT",
        "SIEBEL_DB_NAME",
        "SIEBEL_DB_USER",
        "SIEBEL_DB_PASSWORD",
    ):
        assert var in env


def test_the_worker_starts_after_the_schema_is_registered_with_the_apps_settings() -> None:
    init, worker = SERVICES["schema-init"], SERVICES["worker"]
    assert init["image"] == worker["image"] == "${WORKER_IMAGE}"
    assert init["build"] == worker["build"] == "."
    assert "streams.avro_codec register" in init["command"][0]
    assert "streams.topology create" in init["command"][0]
    assert set(worker["depends_on"]) == {"schema-init", "connect-init"}
    env = worker["environment"]
    assert env == init["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:29092"  # the INTERNAL listener
    registry_port = SERVICES["registry"]["environment"]["QUARKUS_HTTP_PORT"]
    assert env["SCHEMA_REGISTRY_URL"] == f"http://registry:{registry_port}/apis/ccompat/v7"
    assert env["SYNC_WEB_TOKEN"] == "${SYNC_WEB_TOKEN}"  # bound off loopback: a token
    assert DOTENV["SYNC_WEB_TOKEN"]


def test_the_dockerfile_runs_the_worker_with_the_files_it_reads() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-" in dockerfile
    for needed in ("COPY streams ./streams", "COPY config ./config", "COPY avro ./avro"):
        assert needed in dockerfile
    assert 'ENTRYPOINT ["faust", "-A", "streams.app"]' in dockerfile
    assert "USER sync" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".stack"} <= set(ignored)
