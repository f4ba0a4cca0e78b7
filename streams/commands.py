"""The app's operator commands, as Faust custom commands: `faust -A streams.app <command>`.

faust -A streams.app seed FILE [--execute]    go-live seeding (R12, streams/seeding.py)
"""

from __future__ import annotations

from faust.cli import argument, option

from streams import seeding
from streams.app import app


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
