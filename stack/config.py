"""Where the local stack lives and listens: one place for paths, ports and the env file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF_TEMPLATES = Path(__file__).resolve().parent / "conf"
CONNECTOR_FILE = ROOT / "connectors" / "siebel-postgres.json"
SCHEMA_SQL = ROOT / "db" / "siebel-schema.sql"
ROLES_SQL = ROOT / "db" / "siebel-roles.sql"
POM = Path(__file__).resolve().parent / "pom.xml"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a port number") from exc


@dataclass(frozen=True)
class StackConfig:
    """Paths and ports of one local stack; every port is overridable from the environment."""

    home: Path
    pg_port: int
    kafka_port: int
    kafka_controller_port: int
    registry_port: int
    registry_mgmt_port: int
    connect_port: int
    partitions: int
    db_name: str = "siebel"
    db_app_user: str = "siebel"
    db_cdc_user: str = "debezium"
    # Dev-only defaults; a deployment passes its own through the environment.
    db_app_password: str = "siebel"  # noqa: S105 - dev-only default
    db_cdc_password: str = "debezium"  # noqa: S105 - dev-only default

    @classmethod
    def from_env(cls) -> StackConfig:
        home = Path(os.environ.get("STACK_HOME", ROOT / ".stack")).resolve()
        return cls(
            home=home,
            pg_port=_port("STACK_PG_PORT", 55432),
            kafka_port=_port("STACK_KAFKA_PORT", 19092),
            kafka_controller_port=_port("STACK_KAFKA_CONTROLLER_PORT", 19093),
            registry_port=_port("STACK_REGISTRY_PORT", 18081),
            registry_mgmt_port=_port("STACK_REGISTRY_MGMT_PORT", 18084),
            connect_port=_port("STACK_CONNECT_PORT", 18083),
            partitions=_port("STACK_PARTITIONS", 4),
            db_app_password=os.environ.get("STACK_DB_APP_PASSWORD", "siebel"),
            db_cdc_password=os.environ.get("STACK_DB_CDC_PASSWORD", "debezium"),
        )

    # --- folders -----------------------------------------------------------------------------
    @property
    def dist(self) -> Path:
        return self.home / "dist"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def conf(self) -> Path:
        return self.home / "conf"

    @property
    def pg_data(self) -> Path:
        return self.home / "data" / "postgres"

    @property
    def kafka_data(self) -> Path:
        return self.home / "data" / "kafka"

    @property
    def env_file(self) -> Path:
        return self.home / "env"

    # --- endpoints ---------------------------------------------------------------------------
    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def registry_url(self) -> str:
        return f"http://127.0.0.1:{self.registry_port}/apis/ccompat/v7"

    @property
    def connect_url(self) -> str:
        return f"http://127.0.0.1:{self.connect_port}"

    @property
    def siebel_dsn(self) -> str:
        return (
            f"postgresql://{self.db_app_user}:{self.db_app_password}"
            f"@127.0.0.1:{self.pg_port}/{self.db_name}"
        )

    def exports(self) -> dict[str, str]:
        """What other tools source from `.stack/env`."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "SCHEMA_REGISTRY_URL": self.registry_url,
            "CONNECT_URL": self.connect_url,
            "SIEBEL_DSN": self.siebel_dsn,
            "STACK_PARTITIONS": str(self.partitions),
        }

    def connector_env(self) -> dict[str, str]:
        """What the connector's ${env:...} references resolve to inside the Connect worker."""
        return {
            "SIEBEL_DB_HOST": "127.0.0.1",
            "SIEBEL_DB_PORT": str(self.pg_port),
            "SIEBEL_DB_NAME": self.db_name,
            "SIEBEL_DB_USER": self.db_cdc_user,
            "SIEBEL_DB_PASSWORD": self.db_cdc_password,
        }

    def template_values(self) -> dict[str, str]:
        return {
            "kafka_port": str(self.kafka_port),
            "kafka_controller_port": str(self.kafka_controller_port),
            "kafka_data": str(self.kafka_data),
            "connect_port": str(self.connect_port),
            "plugin_path": str(self.dist / "connect-plugins"),
            "partitions": str(self.partitions),
        }


_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


def render(template: str, values: dict[str, str]) -> str:
    """Fill `${name}` placeholders; leaves Connect's `${env:...}` references alone."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder ${{{key}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(fill, template)


def write_env_file(cfg: StackConfig) -> None:
    lines = [f"export {k}='{v}'" for k, v in cfg.exports().items()]
    cfg.env_file.write_text("\n".join(lines) + "\n")
