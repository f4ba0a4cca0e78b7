"""Go-live over an existing CC&B (R12): publish the old integration's cross-reference as seed
events, before the first worker starts.

    python -m streams.seeding FILE [--execute]      (or: make seed FILE=…)

FILE is CSV with a header or JSON (streams/core/seed.py): `siebel_account_id`,
`ccb_account_id`, `ccb_person_id`, optionally `last_sequence`. Without `--execute` it only
checks the file and says what it would do. With it, each account gets one seed event on the hub's
input topic, keyed like every other hub event (murmur2), through an idempotent producer.

Seeding is idempotent: a seed for an account that is already synced (seeded before, or created
by this product) changes nothing, so running it twice, or after a partial run, is safe. Seeds
reach the hub before anything Debezium captured only if no worker has run yet: the runbook in the
README ("Go-live") is seed, then the connector's snapshot, then the workers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from confluent_kafka import Producer

from streams.core.events import HubEvent, hub_event_to_json
from streams.core.seed import load_seed
from streams.core.source_config import SourceConfig
from streams.errors import InputError, SyncError
from streams.settings import Settings
from streams.topology import create_topics, internal_topic_names


def publish(settings: Settings, path: Path) -> int:
    """Send one seed event per account of `path`; returns how many. Raises on any failure:
    a partial run is repeated whole (seeding twice is harmless)."""
    seeds = load_seed(path)
    create_topics(settings, SourceConfig.load())
    send_hub_events(settings, seeds)
    return len(seeds)


def send_hub_events(settings: Settings, events: Sequence[tuple[str, HubEvent]]) -> None:
    """Put events on the hub's input topic from outside the app (seeds, resend requests),
    keyed by account like every other hub event (murmur2), through an idempotent producer.
    Raises SyncError unless every one was delivered."""
    topic = internal_topic_names(settings)["hub"]
    producer = Producer(
        {
            **settings.kafka_client_config(),
            "partitioner": "murmur2_random",  # as Faust places hub events (DESIGN §5.6)
            "enable.idempotence": True,
        }
    )
    failures: list[str] = []

    def delivered(err: object, msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    for account, event in events:
        value = json.dumps(hub_event_to_json(event), sort_keys=True).encode()
        producer.produce(topic, key=account.encode(), value=value, on_delivery=delivered)
        producer.poll(0)
    left = producer.flush(60)
    if left or failures:
        raise SyncError(f"{left} events not delivered, {len(failures)} failed: {failures[:3]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.seeding", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--execute", action="store_true", help="publish (default: check only)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        if not args.execute:
            seeds = load_seed(args.file)
            print(f"{args.file}: {len(seeds)} accounts to seed for app {settings.app_id}")
            print("dry run: nothing sent; add --execute to publish")
            return 0
        n = publish(settings, args.file)
    except InputError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    print(f"seeded {n} accounts for app {settings.app_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
