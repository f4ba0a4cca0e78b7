"""The app's operator commands, as Faust custom commands: `faust -A streams.app <command>`.

faust -A streams.app seed FILE [--execute]    go-live seeding (R12, streams/seeding.py)
faust -A streams.app replay --to-… [--topic T[:P]]… [--execute]
                                              move the source offsets back (streams/replay.py)
faust -A streams.app resend ACCOUNT… | --file F
                                              send synced customers again (streams/resend.py)
faust -A streams.app diff --against TOPIC     compare with a shadow run (streams/shadow_diff.py)
"""

from __future__ import annotations

from pathlib import Path

from faust.cli import argument, option

from streams import replay as replays
from streams import resend as resends
from streams import seeding, shadow_diff
from streams.app import app, settings
from streams.errors import ConfigError, SyncError


@app.command(
    argument("file"),
    option("--execute", is_flag=True, default=False, help="publish (default: check only)"),
)
async def seed(self: object, file: str, execute: bool) -> None:
    """Seed already-synced accounts from the CC&B cross-reference export, before first start."""
    argv = [file, "--execute"] if execute else [file]
    code = seeding.main(argv)
    if code:
        raise SystemExit(code)


@app.command(
    option("--to-earliest", is_flag=True, default=False, help="the start of each log"),
    option("--to-latest", is_flag=True, default=False, help="the end of each log (skip)"),
    option("--to-datetime", default=None, help="ISO 8601, e.g. 2026-11-28T22:00:00Z"),
    option("--to-offset", type=int, default=None, help="this offset in every partition"),
    option("--shift-by", type=int, default=None, help="this many back (negative) or on"),
    option("--by-duration", default=None, help="ISO 8601 duration back from now, e.g. PT1H"),
    option("--topic", "topics", multiple=True, help="TOPIC or TOPIC:PARTITION (repeatable)"),
    option("--execute", is_flag=True, default=False, help="apply (default: dry run)"),
)
async def replay(
    self: object,
    to_earliest: bool,
    to_latest: bool,
    to_datetime: str | None,
    to_offset: int | None,
    shift_by: int | None,
    by_duration: str | None,
    topics: tuple[str, ...],
    execute: bool,
) -> None:
    """Move the app's committed source-topic offsets; a dry run unless --execute."""
    try:
        target = replays.target_from(
            to_earliest=to_earliest,
            to_latest=to_latest,
            to_datetime=to_datetime,
            to_offset=to_offset,
            shift_by=shift_by,
            by_duration=by_duration,
        )
        moves = replays.replay(settings, target, topics, execute)
    except ConfigError as exc:
        print(exc)
        raise SystemExit(2) from exc
    print(replays.format_plan(moves, execute))


@app.command(
    argument("accounts", nargs=-1),
    option("--file", default=None, help="one Siebel account id per line"),
    option("--via", default=None, help="a worker's web address (default: this machine's)"),
    option("--reason", default="", help="noted on the request"),
)
async def resend(
    self: object, accounts: tuple[str, ...], file: str | None, via: str | None, reason: str
) -> None:
    """Send synced customers' current state again as updates (refused for ones not synced)."""
    try:
        ids = resends.read_accounts(accounts, Path(file) if file else None)
        decisions = resends.resend(settings, ids, via, reason)
    except (ConfigError, SyncError) as exc:
        print(exc)
        raise SystemExit(2) from exc
    print(resends.report(decisions))
    if not all(d.send for d in decisions):
        raise SystemExit(1)


@app.command(option("--against", required=True, help="the shadow run's commands topic"))
async def diff(self: object, against: str) -> None:
    """Compare this app's commands with a shadow run's, per account; exit 1 on a difference."""
    here = shadow_diff.read_commands(settings, settings.commands_topic)
    there = shadow_diff.read_commands(settings, against)
    found = shadow_diff.compare(here, there)
    print(found.summary(settings.commands_topic, against))
    if not found.clean:
        raise SystemExit(1)
