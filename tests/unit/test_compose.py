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
LONG_RUNNING = ["postgres", "kafka", "registry", "connect"]


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
            assert cond == {"condition": "service_healthy"}, f"{name} -> {dep}"


def test_ports_bind_loopback_only_on_the_local_stack_ports() -> None:
    published = {p.split(":")[1] for s in SERVICES.values() for p in s.get("ports", [])}
    assert published == {"55432", "19092", "18081", "18083"}
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
