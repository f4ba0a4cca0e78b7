"""Replay: move the app's committed offsets on its source (Debezium) topics, so the workers
process those changes again at their next start.

    faust -A streams.app replay --to-datetime 2026-11-28T22:00:00Z            # dry run
    faust -A streams.app replay --by-duration PT1H --topic siebel.siebel.s_contact --execute
    python -m streams.replay --to-earliest --execute                          # the same, no faust

Exactly one of --to-earliest, --to-latest, --to-datetime ISO, --to-offset N, --shift-by N,
--by-duration ISO-8601 (e.g. PT1H, P1D); for every source topic, or the ones named with --topic
TOPIC or --topic TOPIC:PARTITION (repeatable). Without --execute it only prints, per partition,
the committed offset, the new one and how many events will be processed again. It is refused
while any worker of the app is in its consumer group: stop them all first (Kafka refuses to move
a live group's offsets, and a worker would commit over them).

Replaying is safe by design (DESIGN R8, R9): every agent remembers per Siebel row the source log
position of the last change it applied and skips older ones, so changes processed again send no
second create, no update under a new sequence and no stale value. Only the source topics are
moved; the internal topics carry what the agents derived, and the tables stay as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from streams import topic_reader
from streams.core.source_config import SourceConfig
from streams.errors import ConfigError
from streams.settings import Settings
from streams.topology import source_topic_names

Partition = tuple[str, int]
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Target:
    """Where to move the offsets: exactly one field set."""

    to_earliest: bool = False
    to_latest: bool = False
    to_offset: int | None = None
    shift_by: int | None = None
    to_time: datetime | None = None  # --to-datetime, or now minus --by-duration


@dataclass(frozen=True)
class Move:
    partition: Partition
    current: int | None  # committed offset; None: nothing committed
    new: int
    earliest: int
    latest: int

    @property
    def again(self) -> int:
        """Events processed again (or, moving forward, negative: skipped)."""
        return (self.latest if self.current is None else self.current) - self.new


def plan(
    target: Target,
    committed: Mapping[Partition, int | None],
    bounds: Mapping[Partition, tuple[int, int]],
    at_time: Mapping[Partition, int] | None = None,
) -> list[Move]:
    """The new offset of each partition, kept within what the log holds. `at_time` is the first
    offset at or after `target.to_time` (the log end when there is none)."""
    moves = []
    for tp in sorted(bounds):
        earliest, latest = bounds[tp]
        current = committed.get(tp)
        if target.to_earliest:
            new = earliest
        elif target.to_latest:
            new = latest
        elif target.to_offset is not None:
            new = target.to_offset
        elif target.shift_by is not None:
            new = (latest if current is None else current) + target.shift_by
        elif target.to_time is not None and at_time is not None:
            new = at_time.get(tp, latest)
        else:
            raise ConfigError("replay: no target (--to-earliest, --to-datetime, …)")
        moves.append(Move(tp, current, min(max(new, earliest), latest), earliest, latest))
    return moves


def format_plan(moves: Sequence[Move], executed: bool) -> str:
    lines = [f"{'partition':<44} {'committed':>10} → {'new':>10} {'again':>8}"]
    for m in moves:
        current = "-" if m.current is None else str(m.current)
        lines.append(
            f"{m.partition[0] + f'[{m.partition[1]}]':<44} {current:>10} → {m.new:>10} {m.again:>8}"
        )
    total = sum(max(m.again, 0) for m in moves)
    verb = "moved" if executed else "dry run, nothing moved (add --execute)"
    lines.append(f"{len(moves)} partitions, {total} events to process again — {verb}")
    return "\n".join(lines)


_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations of days, hours, minutes and seconds: P1D, PT1H, PT90M, P1DT12H."""
    match = _DURATION.match(text.strip().upper())
    if match is None or not any(match.groupdict().values()):
        raise ConfigError(f"--by-duration {text!r}: use an ISO 8601 duration such as PT1H or P1D")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


def parse_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"--to-datetime {text!r}: use ISO 8601, e.g. 2026-11-28T22:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select(
    topics: Iterable[str], partitions: Mapping[str, int], names: Sequence[str]
) -> list[Partition]:
    """The partitions named by `--topic T` / `--topic T:P` (all source partitions if none)."""
    known = sorted(set(topics))
    if not names:
        return [(t, p) for t in known for p in range(partitions[t])]
    chosen: list[Partition] = []
    for name in names:
        topic, _, part = name.rpartition(":") if ":" in name else (name, "", "")
        if topic not in known:
            raise ConfigError(
                f"--topic {name!r}: not a source topic of this app ({', '.join(known)})"
            )
        if part and not (part.isdigit() and int(part) < partitions[topic]):
            raise ConfigError(f"--topic {name!r}: {topic} has partitions 0-{partitions[topic] - 1}")
        chosen += [(topic, int(part))] if part else [(topic, p) for p in range(partitions[topic])]
    return sorted(set(chosen))


class GroupOffsets:
    """The app's consumer group and its source partitions, through Kafka's admin API."""

    def __init__(self, settings: Settings, source: SourceConfig) -> None:
        self.group = settings.app_id
        self.admin = AdminClient(settings.kafka_client_config())
        self.topics = source_topic_names(settings, source)

    def partitions(self) -> dict[str, int]:
        metadata = self.admin.list_topics(timeout=TIMEOUT_S).topics
        missing = [t for t in self.topics if t not in metadata]
        if missing:
            raise ConfigError(f"source topics missing: {', '.join(missing)}")
        return {t: len(metadata[t].partitions) for t in self.topics}

    def members(self) -> list[str]:
        futures = self.admin.describe_consumer_groups([self.group], request_timeout=TIMEOUT_S)
        description = futures[self.group].result()
        return [f"{m.client_id}@{m.host}" for m in description.members]

    def committed(self, tps: Sequence[Partition]) -> dict[Partition, int | None]:
        return topic_reader.group_offsets(self.admin, self.group, tps)

    def _list(
        self, tps: Sequence[Partition], spec: Callable[[], OffsetSpec]
    ) -> dict[Partition, int]:
        # asked again while a partition has no leader (a topic just created, a broker restarting)
        return topic_reader.list_offsets(self.admin, tps, spec, IsolationLevel.READ_COMMITTED)

    def bounds(self, tps: Sequence[Partition]) -> dict[Partition, tuple[int, int]]:
        low, high = self._list(tps, OffsetSpec.earliest), self._list(tps, OffsetSpec.latest)
        return {tp: (low[tp], high[tp]) for tp in tps}

    def at_time(self, tps: Sequence[Partition], moment: datetime) -> dict[Partition, int]:
        ms = int(moment.timestamp() * 1000)
        found = self._list(tps, lambda: OffsetSpec.for_timestamp(ms))
        return {tp: o for tp, o in found.items() if o >= 0}  # -1: nothing that late

    def move(self, moves: Sequence[Move]) -> None:
        request = ConsumerGroupTopicPartitions(
            self.group, [TopicPartition(m.partition[0], m.partition[1], m.new) for m in moves]
        )
        futures = self.admin.alter_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
        futures[self.group].result()


def replay(
    settings: Settings,
    target: Target,
    names: Sequence[str] = (),
    execute: bool = False,
    source: SourceConfig | None = None,
) -> list[Move]:
    """Plan the move and, with `execute`, apply it; raises ConfigError when refused."""
    group = GroupOffsets(settings, source or SourceConfig.load())
    tps = select(group.topics, group.partitions(), names)
    committed = group.committed(tps)
    bounds = group.bounds(tps)
    at_time = group.at_time(tps, target.to_time) if target.to_time is not None else None
    moves = plan(target, committed, bounds, at_time)
    if execute:
        members = group.members()
        if members:
            raise ConfigError(
                f"replay refused: {len(members)} worker(s) of {group.group} are running "
                f"({', '.join(members)}); stop every worker, then replay"
            )
        group.move(moves)
    return moves


def target_from(
    *,
    to_earliest: bool = False,
    to_latest: bool = False,
    to_datetime: str | None = None,
    to_offset: int | None = None,
    shift_by: int | None = None,
    by_duration: str | None = None,
    now: datetime | None = None,
) -> Target:
    chosen = [
        to_earliest,
        to_latest,
        to_datetime is not None,
        to_offset is not None,
        shift_by is not None,
        by_duration is not None,
    ]
    if sum(chosen) != 1:
        raise ConfigError(
            "replay needs exactly one of --to-earliest, --to-latest, --to-datetime, "
            "--to-offset, --shift-by, --by-duration"
        )
    if to_datetime is not None:
        return Target(to_time=parse_datetime(to_datetime))
    if by_duration is not None:
        return Target(to_time=(now or datetime.now(UTC)) - parse_duration(by_duration))
    return Target(to_earliest, to_latest, to_offset, shift_by)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streams.replay", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--to-earliest", action="store_true")
    parser.add_argument("--to-latest", action="store_true")
    parser.add_argument("--to-datetime")
    parser.add_argument("--to-offset", type=int)
    parser.add_argument("--shift-by", type=int)
    parser.add_argument("--by-duration")
    parser.add_argument("--topic", action="append", default=[], help="TOPIC or TOPIC:PARTITION")
    parser.add_argument("--execute", action="store_true", help="apply (default: dry run)")
    args = parser.parse_args(argv)
    try:
        target = target_from(
            to_earliest=args.to_earliest,
            to_latest=args.to_latest,
            to_datetime=args.to_datetime,
            to_offset=args.to_offset,
            shift_by=args.shift_by,
            by_duration=args.by_duration,
        )
        moves = replay(Settings.from_env(), target, args.topic, args.execute)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(format_plan(moves, args.execute))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
