"""Shadow rebuild and diff: check a new version (code, code maps, settings) before a cut-over.

1. Run the new version as a shadow: another app id, another commands topic and dead-letter topic
   (`SYNC_APP_ID=sync-shadow SYNC_COMMANDS_TOPIC=shadow.commands SYNC_DLQ_TOPIC=shadow.dlq`,
   `make register-schemas`, then `faust -A streams.app worker`). A new app id has no committed
   offsets, so it reads the Debezium topics from the earliest offsets; CC&B never sees its topic.
2. When it has caught up: `faust -A streams.app diff --against shadow.commands` (with the
   production settings). Per account it compares the sequence of command types and the final
   customer payload; it prints a summary and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streams.settings import Settings
from streams.topic_reader import IncompleteReadError, partitions_of, read_to_end

Commands = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass
class Diff:
    accounts: int = 0
    same: int = 0
    only_here: list[str] = field(default_factory=list)
    only_there: list[str] = field(default_factory=list)
    different: dict[str, str] = field(default_factory=dict)  # account → what differs

    @property
    def clean(self) -> bool:
        return not (self.only_here or self.only_there or self.different)

    def summary(self, here: str, there: str, limit: int = 20) -> str:
        lines = [
            f"{self.accounts} accounts: {self.same} the same, {len(self.different)} different, "
            f"{len(self.only_here)} only on {here}, {len(self.only_there)} only on {there}"
        ]
        lines += [f"  {acct}: {why}" for acct, why in sorted(self.different.items())[:limit]]
        lines += [f"  {acct}: only on {here}" for acct in sorted(self.only_here)[:limit]]
        lines += [f"  {acct}: only on {there}" for acct in sorted(self.only_there)[:limit]]
        lines.append("no difference" if self.clean else "DIFFERENT")
        return "\n".join(lines)


def _differs(mine: Sequence[Mapping[str, Any]], theirs: Sequence[Mapping[str, Any]]) -> str:
    types = [c["command_type"] for c in sorted(mine, key=lambda c: c["sequence"])]
    other = [c["command_type"] for c in sorted(theirs, key=lambda c: c["sequence"])]
    if types != other:
        return f"commands {_short(types)} vs {_short(other)}"
    last = max(mine, key=lambda c: c["sequence"])["customer"]
    other_last = max(theirs, key=lambda c: c["sequence"])["customer"]
    if last != other_last:
        return "final customer differs in " + ", ".join(differing_paths(last, other_last)[:5])
    return ""


def _short(types: list[str]) -> str:
    return "[" + ",".join(t.split("_")[0][0] for t in types) + "]"  # C,U,U…


def differing_paths(a: Any, b: Any, at: str = "") -> list[str]:
    """Where two JSON-like values differ (dotted paths)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [
            p for k in keys for p in differing_paths(a.get(k), b.get(k), f"{at}.{k}" if at else k)
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [p for i, (x, y) in pairs for p in differing_paths(x, y, f"{at}[{i}]")]
    return [] if a == b else [at or "(value)"]


def compare(here: Commands, there: Commands) -> Diff:
    diff = Diff(accounts=len(set(here) | set(there)))
    diff.only_here = sorted(set(here) - set(there))
    diff.only_there = sorted(set(there) - set(here))
    for account in sorted(set(here) & set(there)):
        why = _differs(here[account], there[account])
        if why:
            diff.different[account] = why
        else:
            diff.same += 1
    return diff


def read_commands(settings: Settings, topic: str, timeout_s: float = 30.0) -> dict[str, list[Any]]:
    """Every committed command of `topic`, by account (blocking)."""
    decode = AvroDeserializer(SchemaRegistryClient(settings.schema_registry_config()))
    parts = partitions_of(AdminClient(settings.kafka_client_config()), [topic])
    if not parts:
        raise SystemExit(f"no topic {topic}")
    found: defaultdict[str, list[Any]] = defaultdict(list)
    try:
        for msg in read_to_end(
            settings, dict.fromkeys(parts, 0), timeout_s=timeout_s, per_record=True
        ):
            command = decode(msg.value(), SerializationContext(topic, MessageField.VALUE))
            found[command["siebel_account_id"]].append(command)
    except IncompleteReadError as exc:
        raise SystemExit(f"{topic}: {exc}") from exc
    return dict(found)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.shadow_diff", description=__doc__)
    parser.add_argument("--against", required=True, help="the shadow's commands topic")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    diff = compare(
        read_commands(settings, settings.commands_topic), read_commands(settings, args.against)
    )
    print(diff.summary(settings.commands_topic, args.against))
    return 0 if diff.clean else 1


if __name__ == "__main__":
    sys.exit(main())
