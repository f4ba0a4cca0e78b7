"""One settings object, read from the environment (`.stack/env` can be sourced as is).

Secrets are `Secret` values: printing, logging or repr-ing the settings never shows them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from streams.errors import ConfigError

ProcessingGuarantee = Literal["exactly_once", "at_least_once"]
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class Secret:
    """A string that does not show itself: `str()`/`repr()` give asterisks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _advertised(bind: str) -> str:
    wildcard = bind in ("0.0.0.0", "::", "")  # noqa: S104 - recognised, not bound here
    return socket.getfqdn() if wildcard else bind


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default).strip()


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = _get(env, name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, maximum: float = 3600) -> float:
    raw = _get(env, name, str(default))
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from exc
    if not 0 < value <= maximum:
        raise ConfigError(f"{name} must be in (0, {maximum:g}] seconds, got {value}")
    return value


def _set(env: Mapping[str, str], name: str, default: frozenset[str]) -> frozenset[str]:
    """A comma-separated list; Siebel values contain spaces (`Billing Aggregator`), not commas."""
    raw = env.get(name)
    if raw is None:
        return default
    values = frozenset(v.strip() for v in raw.split(",") if v.strip())
    if not values:
        raise ConfigError(f"{name} is set but names nothing")
    return values


@dataclass(frozen=True)
class Settings:
    """Everything the worker, the tools and the tests need to find and talk to the services."""

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_ssl_ca_location: str = ""  # PEM bundle of the brokers' CA; empty: the system's
    kafka_sasl_username: str = ""
    kafka_sasl_password: Secret = field(default_factory=lambda: Secret(""))
    schema_registry_url: str = "http://127.0.0.1:18081/apis/ccompat/v7"
    schema_registry_username: str = ""
    schema_registry_password: Secret = field(default_factory=lambda: Secret(""))
    connect_url: str = "http://127.0.0.1:18083"
    siebel_dsn: Secret = field(default_factory=lambda: Secret(""))
    # Debezium topics are <prefix>.<schema>.<table> (connectors/README.md).
    source_topic_prefix: str = "siebel"
    source_schema: str = "siebel"
    app_id: str = "siebel-ccb-sync"
    partitions: int = 4
    commands_topic: str = "ccb.customer.commands"
    dlq_topic: str = "siebel-ccb-sync.dlq"
    # exactly_once by default (streams/exactly_once/): every command once, for any number of
    # workers, through crashes, rebalances and zombies (tests/reliability/). at_least_once is
    # faster per event and may send a command again after a crash — the same command, with the
    # same command_id (R9), never a different one and never a gap.
    processing_guarantee: ProcessingGuarantee = "exactly_once"
    # How often offsets (and, under exactly_once, transactions) are committed at the least.
    # Under exactly_once it bounds the latency of each hop of a busy worker, since
    # read_committed readers see a record only once its transaction commits: three hops from
    # Siebel row to command. A quiet worker commits sooner (exactly_once/consumer.py).
    commit_interval: float = 0.1  # Kafka Streams' exactly-once default (bench/RESULTS.md)
    replication_factor: int = 1
    standby_replicas: int = 1
    # Kafka's static group membership (group.instance.id, KIP-345): a worker restarted under the
    # same id takes its partitions back at once instead of after the session timeout of the
    # member it replaces (faust's 60 s). Unique per worker (a second worker with the same id
    # fences the first) and stable across its restarts: e.g. the host or pod name. A member
    # with an id does not leave the group when it stops, so a worker stopped for good hands its
    # partitions over only after the session timeout. Empty: dynamic membership. Kafka is
    # given `group_instance` (below).
    group_instance_id: str = ""
    web_bind: str = "127.0.0.1"
    web_port: int = 6066
    # the host other workers reach this one's web views at (a lookup is routed to the worker
    # that owns the key): the bind address, unless that is a wildcard
    web_host: str = ""
    # bound off loopback, every web view but /health requires "Authorization: Bearer <token>"
    web_token: Secret = field(default_factory=lambda: Secret(""))
    # RocksDB tables (rebuilt from their changelog topics when lost).
    data_dir: str = ".stack/worker-data"
    # R2 / R3: which order statuses trigger a create, which account classes may become customers.
    trigger_statuses: frozenset[str] = frozenset({"Submitted", "Open"})
    eligible_classes: frozenset[str] = frozenset({"Customer", "Billing"})
    # R7: a create held longer than this raises one CREATE_HELD_TOO_LONG alert
    held_alert_after: float = 900.0
    # ... but not while the app is more records than this behind on what it reads: in a
    # catch-up (a go-live snapshot, a replay) what a create waits for is mostly queued, not
    # missing in Siebel; the alerts go out once the app has caught up
    held_alert_max_lag: int = 1000
    # one log line per hub decision (input coordinates, account, sequence before → after, the
    # commands sent): for tracing one customer through a fault; off by default (volume)
    trace: bool = False
    # the Siebel → CC&B code maps (R14); another file for a shadow run that tries a changed map
    code_maps_file: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        guarantee = _get(env, "SYNC_PROCESSING_GUARANTEE", cls.processing_guarantee)
        if guarantee not in ("exactly_once", "at_least_once"):
            raise ConfigError(
                f"SYNC_PROCESSING_GUARANTEE={guarantee!r}: use exactly_once or at_least_once"
            )
        protocol = _get(env, "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
        if protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(
                f"KAFKA_SECURITY_PROTOCOL={protocol!r}: use one of {', '.join(SECURITY_PROTOCOLS)}"
            )
        mechanism = _get(env, "KAFKA_SASL_MECHANISM", "").upper()
        if protocol.startswith("SASL_") and mechanism not in SASL_MECHANISMS:
            raise ConfigError(
                f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_MECHANISM, one of "
                f"{', '.join(SASL_MECHANISMS)} (got {mechanism!r})"
            )
        d = cls()
        bind = _get(env, "SYNC_WEB_BIND", d.web_bind)
        if not is_loopback(bind) and not env.get("SYNC_WEB_TOKEN", "").strip():
            raise ConfigError(
                f"SYNC_WEB_BIND={bind} serves the web views off this machine: set "
                "SYNC_WEB_TOKEN (callers send 'Authorization: Bearer <token>')"
            )
        return cls(
            kafka_bootstrap_servers=_get(env, "KAFKA_BOOTSTRAP_SERVERS", d.kafka_bootstrap_servers),
            kafka_security_protocol=protocol,
            kafka_sasl_mechanism=mechanism,
            kafka_ssl_ca_location=_get(env, "KAFKA_SSL_CA_LOCATION", ""),
            kafka_sasl_username=_get(env, "KAFKA_SASL_USERNAME", ""),
            kafka_sasl_password=Secret(env.get("KAFKA_SASL_PASSWORD", "")),
            schema_registry_url=_get(env, "SCHEMA_REGISTRY_URL", d.schema_registry_url),
            schema_registry_username=_get(env, "SCHEMA_REGISTRY_USERNAME", ""),
            schema_registry_password=Secret(env.get("SCHEMA_REGISTRY_PASSWORD", "")),
            connect_url=_get(env, "CONNECT_URL", d.connect_url),
            siebel_dsn=Secret(env.get("SIEBEL_DSN", "")),
            source_topic_prefix=_get(env, "SYNC_SOURCE_TOPIC_PREFIX", d.source_topic_prefix),
            source_schema=_get(env, "SYNC_SOURCE_SCHEMA", d.source_schema),
            app_id=_get(env, "SYNC_APP_ID", d.app_id),
            partitions=_int(env, "SYNC_PARTITIONS", _int(env, "STACK_PARTITIONS", d.partitions)),
            commands_topic=_get(env, "SYNC_COMMANDS_TOPIC", d.commands_topic),
            dlq_topic=_get(env, "SYNC_DLQ_TOPIC", d.dlq_topic),
            processing_guarantee=guarantee,  # type: ignore[arg-type]  # checked above
            commit_interval=_seconds(
                env,
                "SYNC_COMMIT_INTERVAL",
                d.commit_interval if guarantee == "exactly_once" else 2.8,  # faust's default
            ),
            replication_factor=_int(env, "SYNC_REPLICATION_FACTOR", d.replication_factor),
            standby_replicas=_int(env, "SYNC_STANDBY_REPLICAS", d.standby_replicas, minimum=0),
            group_instance_id=_get(env, "SYNC_GROUP_INSTANCE_ID", ""),
            web_bind=_get(env, "SYNC_WEB_BIND", d.web_bind),
            web_port=_int(env, "SYNC_WEB_PORT", d.web_port),
            web_host=_get(env, "SYNC_WEB_HOST", "")
            or _advertised(_get(env, "SYNC_WEB_BIND", d.web_bind)),
            web_token=Secret(env.get("SYNC_WEB_TOKEN", "")),
            data_dir=_get(env, "SYNC_DATA_DIR", d.data_dir),
            trigger_statuses=_set(env, "SYNC_TRIGGER_STATUSES", d.trigger_statuses),
            eligible_classes=_set(env, "SYNC_ELIGIBLE_ACCOUNT_CLASSES", d.eligible_classes),
            held_alert_after=_seconds(
                env, "SYNC_HELD_ALERT_AFTER", d.held_alert_after, maximum=7 * 86400
            ),
            held_alert_max_lag=_int(
                env, "SYNC_HELD_ALERT_MAX_LAG", d.held_alert_max_lag, minimum=0
            ),
            trace=_get(env, "SYNC_TRACE", "0").lower() in ("1", "true", "yes"),
            code_maps_file=_get(env, "SYNC_CODE_MAPS", ""),
        )

    @property
    def group_instance(self) -> str | None:
        """The group.instance.id Kafka is given: the configured id and this worker's web address.

        A static member that rejoins gets back the assignment the group leader made for it,
        and faust's assignor stops the consumer's coordination for good (an assertion in
        `PartitionAssignor.on_assignment`, faust/assignor/partition_assignor.py) when that
        assignment names another web address than its own; the worker then hangs with no
        partitions. With the address in the id, a worker restarted on another port is a new
        member instead: its first start costs one session timeout, as without an id."""
        if not self.group_instance_id:
            return None
        return f"{self.group_instance_id}@{self.web_host}:{self.web_port}"

    def source_topic(self, table: str) -> str:
        return f"{self.source_topic_prefix}.{self.source_schema}.{table}"

    def kafka_client_config(self) -> dict[str, str | int | float | bool]:
        """librdkafka settings shared by every confluent-kafka client of the product."""
        config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.kafka_bootstrap_servers,
            "security.protocol": self.kafka_security_protocol,
        }
        if self.kafka_ssl_ca_location:
            config["ssl.ca.location"] = self.kafka_ssl_ca_location
        if self.kafka_sasl_mechanism:
            config["sasl.mechanism"] = self.kafka_sasl_mechanism
            config["sasl.username"] = self.kafka_sasl_username
            config["sasl.password"] = self.kafka_sasl_password.get_secret_value()
        return config

    def schema_registry_config(self) -> dict[str, str | int]:
        # a request the registry never answers must not hang a worker (or a tool) for ever:
        # it times out and the client retries it (confluent_kafka's max.retries)
        config: dict[str, str | int] = {"url": self.schema_registry_url, "timeout": 15}
        if self.schema_registry_username:
            password = self.schema_registry_password.get_secret_value()
            config["basic.auth.user.info"] = f"{self.schema_registry_username}:{password}"
        return config

    def safe_dict(self) -> dict[str, str]:
        """For start-up logs: every setting, secrets masked."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}
