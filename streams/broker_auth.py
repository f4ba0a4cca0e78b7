"""The worker's Kafka credentials for Faust (aiokafka), from the same settings the
confluent-kafka clients use (`Settings.kafka_client_config`)."""

from __future__ import annotations

import ssl

import faust
from faust.types.auth import CredentialsT

from streams.settings import Settings


def broker_credentials(settings: Settings) -> CredentialsT | None:
    """None for PLAINTEXT; TLS with the configured CA (or the system's); SASL with the secret."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context: ssl.SSLContext | None = None
    if protocol.endswith("SSL"):
        context = ssl.create_default_context(cafile=settings.kafka_ssl_ca_location or None)
    if protocol == "SSL":
        assert context is not None
        return faust.SSLCredentials(context)
    credentials = faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=context,
    )
    return credentials
