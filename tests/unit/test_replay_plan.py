"""Replay's plan (streams/replay.py): where each partition's offset goes, and how the command
line is read. The moves against a real consumer group are in tests/integration/test_replay.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.errors import ConfigError
from streams.replay import (
    Move,
    Target,
    format_plan,
    parse_datetime,
    parse_duration,
    plan,
    select,
    target_from,
)

A0, A1 = ("siebel.siebel.s_contact", 0), ("siebel.siebel.s_contact", 1)
BOUNDS = {A0: (100, 500), A1: (0, 40)}


@pytest.mark.parametrize(
    ("target", "committed", "expected"),
    [
        (Target(to_earliest=True), {A0: 450, A1: 40}, {A0: 100, A1: 0}),
        (Target(to_latest=True), {A0: 450, A1: 10}, {A0: 500, A1: 40}),
        (Target(to_offset=300), {A0: 450, A1: 40}, {A0: 300, A1: 40}),  # kept within the log
        (Target(shift_by=-60), {A0: 450, A1: 40}, {A0: 390, A1: 0}),
        (Target(shift_by=-10), {A0: None, A1: 40}, {A0: 490, A1: 30}),  # none: from the end
        (Target(shift_by=25), {A0: 450, A1: 40}, {A0: 475, A1: 40}),
    ],
)
def test_each_target_moves_every_partition_within_its_log(
    target: Target, committed: dict[tuple[str, int], int | None], expected: dict[object, int]
) -> None:
    assert {m.partition: m.new for m in plan(target, committed, BOUNDS)} == expected


def test_a_time_target_goes_to_the_first_offset_at_or_after_it_or_the_end() -> None:
    target = Target(to_time=datetime(2026, 11, 28, tzinfo=UTC))
    moves = plan(target, {A0: 450, A1: 40}, BOUNDS, at_time={A0: 200})  # A1: nothing that late
    assert [(m.new, m.again) for m in moves] == [(200, 250), (40, 0)]


def test_how_many_events_come_again_is_committed_minus_new() -> None:
    assert Move(A0, 450, 100, 100, 500).again == 350
    assert Move(A0, None, 100, 100, 500).again == 400  # nothing committed: from the log end
    assert Move(A0, 100, 450, 100, 500).again == -350  # moving forward skips


def test_the_printed_plan_names_each_partition_and_says_whether_anything_moved() -> None:
    moves = plan(Target(to_earliest=True), {A0: 450, A1: None}, BOUNDS)
    dry = format_plan(moves, executed=False)
    first, second = dry.splitlines()[1:3]
    assert first.split() == ["siebel.siebel.s_contact[0]", "450", "→", "100", "350"]
    assert second.split() == ["siebel.siebel.s_contact[1]", "-", "→", "0", "40"]
    assert dry.endswith(
        "2 partitions, 390 events to process again — dry run, nothing moved (add --execute)"
    )
    assert format_plan(moves, executed=True).endswith("— moved")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("pt90m", timedelta(minutes=90)),
        ("P1DT12H30M5S", timedelta(days=1, hours=12, minutes=30, seconds=5)),
    ],
)
def test_iso_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1h", "P", "PT", "P1Y", "-PT1H", ""])
def test_what_is_not_an_iso_duration_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="ISO 8601 duration"):
        parse_duration(text)


def test_datetimes_without_a_zone_are_utc() -> None:
    assert parse_datetime("2026-11-28T22:00:00Z") == datetime(2026, 11, 28, 22, tzinfo=UTC)
    assert parse_datetime("2026-11-28T22:00:00") == datetime(2026, 11, 28, 22, tzinfo=UTC)
    with pytest.raises(ConfigError, match="ISO 8601"):
        parse_datetime("yesterday")


def test_exactly_one_target_is_required() -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        target_from()
    with pytest.raises(ConfigError, match="exactly one"):
        target_from(to_earliest=True, shift_by=-5)
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert target_from(by_duration="PT2H", now=now) == Target(to_time=now - timedelta(hours=2))
    assert target_from(to_offset=0) == Target(to_offset=0)


def test_topics_and_partitions_are_selected_by_name() -> None:
    topics = ["siebel.siebel.s_contact", "siebel.siebel.s_org_ext"]
    counts = dict.fromkeys(topics, 2)
    assert len(select(topics, counts, [])) == 4
    assert select(topics, counts, ["siebel.siebel.s_org_ext:1", "siebel.siebel.s_contact"]) == [
        ("siebel.siebel.s_contact", 0),
        ("siebel.siebel.s_contact", 1),
        ("siebel.siebel.s_org_ext", 1),
    ]
    with pytest.raises(ConfigError, match="not a source topic"):
        select(topics, counts, ["app-hub-events"])
    with pytest.raises(ConfigError, match="partitions 0-1"):
        select(topics, counts, ["siebel.siebel.s_contact:2"])
