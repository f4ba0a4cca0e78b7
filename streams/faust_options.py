"""The faust App options a worker takes from the settings: one list, for the product's app
(streams/app.py) and for the benchmark's forward-only app (bench/framework_app.py), so the
benchmark measures a worker configured as the product's is."""

from __future__ import annotations

from typing import Any

from streams.broker_auth import broker_credentials
from streams.settings import Settings


def app_options(settings: Settings) -> dict[str, Any]:
    return {
        "broker": f"kafka://{settings.kafka_bootstrap_servers}",
        "broker_credentials": broker_credentials(settings),
        "datadir": settings.data_dir,
        "processing_guarantee": settings.processing_guarantee,
        "broker_commit_interval": settings.commit_interval,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "table_standby_replicas": settings.standby_replicas,
        "consumer_group_instance_id": settings.group_instance,
        "web_bind": settings.web_bind,
        "web_port": settings.web_port,
        "web_host": settings.web_host,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
