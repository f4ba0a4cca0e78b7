"""R8/R9 across crashes: a worker killed with SIGKILL again and again while Siebel edits stream
in, each time restarted on its own state. A read_committed consumer then sees every edit.

Under exactly-once: every command exactly once, sequences 1, 2, 3… with no gap. Under
at-least-once: nothing lost either; a command may come twice, then identical (same command_id).

Each restart is a rebalance with a dead member still in the group, the moment faust-streaming
loses fetched records (streams/exactly_once/offset_guard.py) and leaves aborted table writes in
RocksDB (streams/exactly_once/local_state.py); both lost whole ranges of edits before they were
fixed. Several workers under many more faults: tests/reliability/."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    Outputs,
    Siebel,
    app_settings,
    free_port,
    new_id,
    running_worker,
    start_at_end,
    where_app_stands,
)

pytestmark = [pytest.mark.integration, pytest.mark.crash_recovery]

ACCOUNTS = 12
EDITS = 60  # per account, over ~10 s; later crashes land while the backlog is worked off
RESTARTS_KILLED = 2  # after the first worker, two more are killed before the last one runs


def _business_customers(siebel: Siebel) -> list[str]:
    accounts = [new_id("A") for _ in range(ACCOUNTS)]
    for acct in accounts:
        siebel.prospect(
            acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"), business=True
        )
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
    return accounts


def _but_time(command: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k != "emitted_at"}


@pytest.mark.parametrize(
    ("guarantee", "static"),
    [("exactly_once", False), ("at_least_once", False), ("exactly_once", True)],
    ids=["exactly_once", "at_least_once", "exactly_once-static_member"],
)
def test_workers_killed_mid_stream_lose_no_edit(
    pg: psycopg.Connection, tmp_path: Path, guarantee: str, static: bool
) -> None:
    tag = uuid.uuid4().hex[:8]
    base = {**stack_env(), "SYNC_PROCESSING_GUARANTEE": guarantee}
    if static:
        # SYNC_GROUP_INSTANCE_ID: the restarted worker takes the killed one's place in the group
        # at once. faust's default 60 s session stays, so a restart that waited for the dead
        # member to time out would miss `progress_within` below.
        base["SYNC_GROUP_INSTANCE_ID"] = f"crash-test-{tag}"
        base["SYNC_WEB_PORT"] = str(free_port())  # the same member: the same web address
        progress_within = 45.0
    else:
        # a dead member leaves the group after the session timeout; 10 s keeps the test short
        base["BROKER_SESSION_TIMEOUT"] = "10"
        progress_within = 120.0
    start_at_end(app_settings(base, tag))  # this test's edits only, not earlier tests' history
    siebel = Siebel(pg)
    with running_worker(base, tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        accounts = _business_customers(siebel)
        held = new_id("H")
        siebel.held_business(held)
        siebel.order(new_id("O"), "Submitted", (new_id("L"), held))

        def ours() -> list[dict[str, Any]]:
            return [c for c in out.commands if c["siebel_account_id"] in accounts]

        out.wait_for("every create", lambda: all(out.for_account(a) for a in accounts), 120)
        out.wait_for("the held create to show", lambda: held in worker.held(), 30)

        def edit() -> None:
            for n in range(EDITS):
                for acct in accounts:
                    siebel.update("s_org_ext", acct, name=f"Acme Bakery {n}")
                time.sleep(0.1)

        editor = threading.Thread(target=edit, daemon=True)
        editor.start()
        out.wait_for("a first update", lambda: len(ours()) > ACCOUNTS)
        out.poll(0.7)
        worker.crash()  # edits are being read, processed, sent and committed right now
        out.poll(0.5)
        produced = len({c["command_id"] for c in ours()})
        assert produced < ACCOUNTS * (1 + EDITS), "the first crash came too late"

    def complete() -> bool:
        return all(len({c["sequence"] for c in out.for_account(a)}) > EDITS for a in accounts)

    def missing() -> str:
        """What `complete` still waits for, and where the app stands: lost, or only late."""
        short = {}
        for acct in accounts:
            seqs = sorted({c["sequence"] for c in out.for_account(acct)})
            if len(seqs) <= EDITS:
                gaps = sorted(set(range(1, (seqs[-1] if seqs else 0) + 1)) - set(seqs))
                short[acct] = (
                    f"{len(seqs)} sequences, last {seqs[-1] if seqs else None}, gaps {gaps}"
                )
        return f"short of {1 + EDITS} sequences: {short}\n{where_app_stands(out.settings)}"

    for k in range(RESTARTS_KILLED):
        with running_worker(base, tmp_path, tag) as restarted:
            seen = len(ours())

            def progressed(before: int = seen) -> bool:
                return len(ours()) > before + 5 or complete()

            out.wait_for("progress after a restart", progressed, progress_within, missing)
            out.poll(0.3 + 0.4 * k)
            restarted.crash()
    editor.join(60)
    assert not editor.is_alive(), "the Siebel edits did not finish"

    with running_worker(base, tmp_path, tag) as last:
        out.wait_for("every edit after the restarts", complete, 180, missing)
        if guarantee == "exactly_once":
            # the local tables kept what was committed before the kill (committed_store.py):
            # recovery read the changelogs from there, not from the beginning
            hub = {k: v for k, v in last.recovery_starts().items() if "-hub-changelog" in k[0]}
            assert len(hub) == 4, hub
            assert max(hub.values()) >= 0, f"the local hub table was rebuilt from scratch: {hub}"
        out.poll(8.0)  # anything produced twice would show up now
        # the restarted worker recounts held creates from its recovered table
        assert last.stats()["held_creates"] >= 1
        assert "mailing address" in last.held()[held]
    out.close()

    for acct in accounts:
        commands = out.for_account(acct)
        if guarantee == "at_least_once":  # a repeat is the same command, sent again later
            by_id = {c["command_id"]: c for c in commands}
            assert all(_but_time(c) == _but_time(by_id[c["command_id"]]) for c in commands)
            commands = list(by_id.values())
        assert [c["sequence"] for c in commands] == list(range(1, 2 + EDITS)), acct
        assert [c["command_type"] for c in commands] == ["CREATE_CUSTOMER"] + [
            "UPDATE_CUSTOMER"
        ] * EDITS
        names = [c["customer"]["person"]["entity_name"] for c in commands[1:]]
        assert names == [f"Acme Bakery {n}" for n in range(EDITS)], acct
