"""Settings come from the environment and never show their secrets."""

from __future__ import annotations

import pytest

from streams.broker_auth import broker_credentials
from streams.errors import ConfigError
from streams.settings import Secret, Settings

STACK_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:29092",
    "SCHEMA_REGISTRY_URL": "http://127.0.0.1:1/apis/ccompat/v7",
    "SIEBEL_DSN": "postgresql://siebel:hunter2@127.0.0.1:55432/siebel",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "sync",
    "KAFKA_SASL_PASSWORD": "s3cr3t-kafka",
    "SCHEMA_REGISTRY_USERNAME": "reg",
    "SCHEMA_REGISTRY_PASSWORD": "s3cr3t-registry",
    "STACK_PARTITIONS": "6",
}


def test_reads_the_stack_env_file_variables() -> None:
    s = Settings.from_env(STACK_ENV)
    assert s.kafka_bootstrap_servers == "127.0.0.1:29092"
    assert s.partitions == 6
    assert s.source_topic("s_org_ext") == "siebel.siebel.s_org_ext"
    assert s.processing_guarantee == "exactly_once"


def test_exactly_once_by_default_with_a_short_commit_interval_at_least_once_selectable() -> None:
    eos = Settings.from_env({})
    assert (eos.processing_guarantee, eos.commit_interval) == ("exactly_once", 0.1)
    alo = Settings.from_env({"SYNC_PROCESSING_GUARANTEE": "at_least_once"})
    assert (alo.processing_guarantee, alo.commit_interval) == ("at_least_once", 2.8)
    assert Settings.from_env({"SYNC_COMMIT_INTERVAL": "0.5"}).commit_interval == 0.5


def test_secrets_never_appear_in_repr_or_safe_dict() -> None:
    s = Settings.from_env(STACK_ENV)
    shown = repr(s) + str(s.safe_dict())
    for secret in ("hunter2", "s3cr3t-kafka", "s3cr3t-registry"):
        assert secret not in shown


def test_client_configs_carry_the_secrets_to_the_clients() -> None:
    s = Settings.from_env(STACK_ENV)
    assert s.kafka_client_config()["sasl.password"] == "s3cr3t-kafka"
    assert s.schema_registry_config()["basic.auth.user.info"] == "reg:s3cr3t-registry"


def test_registry_requests_time_out_and_are_retried_rather_than_hang() -> None:
    # a CI run hung for ever on one registry request the registry never answered: the client's
    # HTTP timeout is unset by default; with one, it retries (confluent_kafka's max.retries)
    assert Settings.from_env({}).schema_registry_config()["timeout"] == 15


def test_no_sasl_settings_without_a_mechanism() -> None:
    assert "sasl.password" not in Settings.from_env({}).kafka_client_config()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYNC_PARTITIONS": "four"}, "SYNC_PARTITIONS='four' is not an integer"),
        ({"SYNC_PARTITIONS": "0"}, "at least 1"),
        ({"SYNC_PROCESSING_GUARANTEE": "maybe_once"}, "exactly_once or at_least_once"),
        ({"SYNC_COMMIT_INTERVAL": "soon"}, "not a number of seconds"),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "use one of PLAINTEXT, SSL"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs KAFKA_SASL_MECHANISM"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI"},
            "needs KAFKA_SASL_MECHANISM",
        ),
        ({"SYNC_COMMIT_INTERVAL": "0"}, r"\(0, 3600\]"),
        ({"SYNC_HELD_ALERT_MAX_LAG": "-1"}, "SYNC_HELD_ALERT_MAX_LAG must be at least 0"),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_them(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_held_create_alerts_wait_for_a_lag_of_at_most_a_thousand_records_by_default() -> None:
    assert Settings.from_env({}).held_alert_max_lag == 1000
    assert Settings.from_env({"SYNC_HELD_ALERT_MAX_LAG": "0"}).held_alert_max_lag == 0


def test_secret_equality_without_exposure() -> None:
    assert Secret("a") == Secret("a") != Secret("b")
    assert not Secret("")
    assert str(Secret("a")) == "Secret('**********')"


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("PLAINTEXT", None),
        ("SSL", ("SSL", None)),
        ("SASL_PLAINTEXT", ("SASL_PLAINTEXT", "SCRAM-SHA-512")),
        ("sasl_ssl", ("SASL_SSL", "SCRAM-SHA-512")),
    ],
)
def test_the_worker_gets_the_same_kafka_credentials_as_the_other_clients(
    protocol: str, expected: tuple[str, str | None] | None
) -> None:
    s = Settings.from_env({**STACK_ENV, "KAFKA_SECURITY_PROTOCOL": protocol})
    credentials = broker_credentials(s)
    if expected is None:
        assert credentials is None
        return
    assert credentials is not None
    mechanism = getattr(credentials, "mechanism", None)
    assert (credentials.protocol.value, mechanism.value if mechanism else None) == expected
    if expected[0].startswith("SASL"):
        assert credentials.password == "s3cr3t-kafka"  # type: ignore[attr-defined]
        assert "s3cr3t" not in repr(credentials)
    assert s.kafka_client_config()["security.protocol"] == expected[0]


def test_static_membership_is_off_unless_an_instance_id_is_given() -> None:
    assert Settings.from_env({}).group_instance is None
    assert Settings.from_env({"SYNC_GROUP_INSTANCE_ID": "  "}).group_instance is None


def test_the_instance_id_kafka_gets_names_the_web_address_faust_checks_on_rejoin() -> None:
    env = {"SYNC_GROUP_INSTANCE_ID": "billing-worker-1", "SYNC_WEB_PORT": "6067"}
    assert Settings.from_env(env).group_instance == "billing-worker-1@127.0.0.1:6067"
    moved = Settings.from_env({**env, "SYNC_WEB_PORT": "6068"}).group_instance
    assert moved != Settings.from_env(env).group_instance  # another member, not a wedged one
