"""Resend: send synced customers' current state to CC&B again, as updates carrying every section
with the next sequence — after CC&B lost or rejected something, or was restored from a backup.

    faust -A streams.app resend 1-ABC 1-DEF
    faust -A streams.app resend --file accounts.txt      (one Siebel account id per line)
    python -m streams.resend …                           (the same, no faust)

Each account is first looked up through a running worker's web view (`--via`, default this
machine's `SYNC_WEB_PORT`): an account that is not synced is refused there and then (a customer
is created only through an order, R2). The requests then go to the hub as events, so each update
is sent exactly once and in sequence with everything else the account gets; an account the hub
finds not synced after all (no worker answered the lookup) is refused with a RESEND_REFUSED
alert on the dead-letter topic.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from streams.core.events import Resend
from streams.errors import ConfigError, SyncError
from streams.seeding import send_hub_events
from streams.settings import Settings


@dataclass(frozen=True)
class Decision:
    account_id: str
    send: bool
    why: str


def read_accounts(ids: Sequence[str], file: Path | None) -> list[str]:
    accounts = list(ids)
    if file is not None:
        try:
            lines = file.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"{file}: {exc.strerror}") from exc
        accounts += [line.split(",")[0].strip() for line in lines if line.strip()]
    accounts = [a for a in dict.fromkeys(accounts) if a and not a.startswith("#")]
    if not accounts:
        raise ConfigError("resend: name accounts (ACCOUNT… or --file F)")
    return accounts


def decide(account_id: str, lookup: dict[str, object] | None) -> Decision:
    """`lookup` is the worker's answer for the account (None: no worker answered)."""
    if lookup is None:
        return Decision(account_id, True, "no worker to ask; the hub decides")
    sync = lookup.get("sync") if lookup.get("known") else None
    if not isinstance(sync, dict):
        return Decision(account_id, False, "refused: unknown to the sync (never captured)")
    if sync.get("deleted"):
        return Decision(account_id, False, "refused: deleted in Siebel")
    if not sync.get("synced"):
        return Decision(account_id, False, "refused: not synced to CC&B (R2)")
    return Decision(account_id, True, f"update #{int(str(sync.get('last_sequence'))) + 1}")


def _lookup(via: str, token: str, account_id: str) -> dict[str, object] | None:
    if urllib.parse.urlsplit(via).scheme not in ("http", "https"):
        raise ConfigError(f"--via {via!r}: a worker's http(s) address")
    url = f"{via}/customers/{urllib.parse.quote(account_id)}"
    request = urllib.request.Request(url)  # noqa: S310 - http(s) only, checked above
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            answer: dict[str, object] = json.loads(resp.read())
            return answer
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return {"known": False}
        return None
    except (OSError, ValueError):
        return None


def resend(
    settings: Settings, accounts: Sequence[str], via: str | None = None, reason: str = ""
) -> list[Decision]:
    via = via or f"http://127.0.0.1:{settings.web_port}"
    token = settings.web_token.get_secret_value()
    decisions = [decide(a, _lookup(via, token, a)) for a in accounts]
    at = datetime.now(UTC).isoformat()
    send_hub_events(settings, [(d.account_id, Resend(at, reason)) for d in decisions if d.send])
    return decisions


def report(decisions: Sequence[Decision]) -> str:
    lines = [f"{d.account_id:<20} {'sent' if d.send else '—':<5} {d.why}" for d in decisions]
    sent = sum(d.send for d in decisions)
    lines.append(f"{sent} resend requests sent, {len(decisions) - sent} refused")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.resend", description=__doc__)
    parser.add_argument("accounts", nargs="*")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--via", help="a worker's web address (default: this machine's)")
    parser.add_argument("--reason", default="", help="noted on the request")
    args = parser.parse_args(argv)
    try:
        accounts = read_accounts(args.accounts, args.file)
        decisions = resend(Settings.from_env(), accounts, args.via, args.reason)
    except (ConfigError, SyncError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report(decisions))
    return 0 if all(d.send for d in decisions) else 1


if __name__ == "__main__":
    raise SystemExit(main())
