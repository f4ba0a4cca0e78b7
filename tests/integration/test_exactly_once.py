"""R9 across a crash: a worker killed with SIGKILL mid-stream and restarted on its own state
leaves, on a read_committed consumer, every command exactly once — no duplicate, no gap.

With faust's stock exactly-once this scenario stalled and ended in ProducerFenced; under
at-least-once the commands sent after the last commit come out a second time."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.conftest import _stack_env
from tests.integration.pipeline import Outputs, Siebel, new_id, running_worker

# Not in `make test`: it still fails in some runs (lost updates after the restart, cause not
# found; README "Processing guarantee"). `make crash-test` runs it.
pytestmark = [pytest.mark.integration, pytest.mark.crash_recovery]

ACCOUNTS = 12
EDITS = 40  # per account, written over a few seconds so the crash lands mid-stream


def _business_customers(siebel: Siebel) -> list[str]:
    accounts = [new_id("A") for _ in range(ACCOUNTS)]
    for acct in accounts:
        siebel.prospect(
            acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"), business=True
        )
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
    return accounts


def test_r9_a_worker_killed_mid_stream_restarts_without_duplicate_or_lost_commands(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    # A dead member leaves the group after the session timeout; 10 s keeps the test short.
    base = {**_stack_env(), "BROKER_SESSION_TIMEOUT": "10"}
    tag = uuid.uuid4().hex[:8]
    siebel = Siebel(pg)
    with running_worker(base, tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        accounts = _business_customers(siebel)
        held = new_id("H")
        siebel.held_business(held)
        siebel.order(new_id("O"), "Submitted", (new_id("L"), held))

        def ours() -> list[dict[str, Any]]:
            # a fresh app id also replays the history of the Debezium topics
            return [c for c in out.commands if c["siebel_account_id"] in accounts]

        out.wait_for("every create", lambda: all(out.for_account(a) for a in accounts), 120)
        out.wait_for("the held create to show", lambda: held in worker.held(), 30)

        def edit() -> None:
            for n in range(EDITS):
                for acct in accounts:
                    siebel.update("s_org_ext", acct, name=f"Acme Bakery {n}")
                time.sleep(0.05)

        editor = threading.Thread(target=edit, daemon=True)
        editor.start()
        out.wait_for("a first update", lambda: len(ours()) > ACCOUNTS)
        out.poll(0.5)
        worker.crash()  # edits are being read, processed, sent and committed right now
        editor.join(60)
        assert not editor.is_alive(), "the Siebel edits did not finish"
    assert len(ours()) < ACCOUNTS * (1 + EDITS), "the crash came too late to test anything"

    with running_worker(base, tmp_path, tag) as restarted:
        out.wait_for(
            "every edit after the restart",
            lambda: all(len(out.for_account(a)) >= 1 + EDITS for a in accounts),
            180,
        )
        out.poll(8.0)  # anything produced twice would show up now
        # the restarted worker recounts held creates from its recovered table
        assert restarted.stats()["held_creates"] >= 1
        assert "mailing address" in restarted.held()[held]
    out.close()

    ids = Counter(c["command_id"] for c in ours())
    assert [i for i, n in ids.items() if n > 1] == []
    for acct in accounts:
        commands = out.for_account(acct)
        assert [c["sequence"] for c in commands] == list(range(1, 2 + EDITS)), acct
        assert [c["command_type"] for c in commands] == ["CREATE_CUSTOMER"] + [
            "UPDATE_CUSTOMER"
        ] * EDITS
        names = [c["customer"]["person"]["entity_name"] for c in commands[1:]]
        assert names == [f"Acme Bakery {n}" for n in range(EDITS)], acct
