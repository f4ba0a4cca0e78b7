"""Replay on the real stack (streams/replay.py): a dry run moves nothing, a replay is refused
while a worker runs, and a replay executed with the workers stopped makes them process the
changes again without a second create, a sequence gap or a stale value (R8, R9)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from streams.core.source_config import SourceConfig
from streams.errors import ConfigError
from streams.replay import GroupOffsets, Target, replay
from tests.conftest import ROOT
from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    Outputs,
    Siebel,
    app_settings,
    new_id,
    prepare_app,
    running_worker,
    start_at_end,
    worker_env,
)

pytestmark = pytest.mark.integration


def _has(out: Outputs, acct: str, count: int) -> Callable[[], bool]:
    return lambda: len(out.for_account(acct)) == count


def _ends(group: GroupOffsets, topic: str) -> list[int]:
    tps = [(topic, p) for p in range(group.partitions()[topic])]
    return [group.bounds(tps)[tp][1] for tp in tps]


def _source_lag(group: GroupOffsets) -> int:
    tps = [(t, p) for t, n in group.partitions().items() for p in range(n)]
    committed, bounds = group.committed(tps), group.bounds(tps)
    return sum(bounds[tp][1] - (committed[tp] or 0) for tp in tps)


def test_replay_dry_run_refusal_and_reprocessing_without_duplicates(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    settings = app_settings(base, tag)
    # a customer ordered before the app starts: history only a replay to the earliest brings
    earlier = new_id("E")
    # the deployment step (the source topics among them): on a new stack no earlier test has
    # made them, and Debezium makes a table's topic only with its first change
    prepare_app(worker_env(base, tag))
    group = GroupOffsets(settings, SourceConfig.load())
    line_topic = settings.source_topic("s_order_item")
    lines_before = _ends(group, line_topic)
    siebel.prospect(earlier, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
    siebel.order(new_id("O"), "Submitted", (new_id("L"), earlier))
    deadline = time.monotonic() + 60
    while _ends(group, line_topic) == lines_before and time.monotonic() < deadline:
        time.sleep(0.5)  # Debezium has the order line once its topic grows
    assert _ends(group, line_topic) != lines_before, "Debezium did not capture the order"
    start_at_end(settings)  # the first run sees this test's later changes only
    started = datetime.now(UTC)
    acct = new_id("P")
    with running_worker(base, tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        # a business: its account name is its CC&B name, so each rename is one update
        siebel.prospect(
            acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"), business=True
        )
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
        out.wait_for("the create", lambda: len(out.for_account(acct)) == 1, 90)
        for n in range(3):
            siebel.update("s_org_ext", acct, name=f"Replayed {tag} {n}")
            out.wait_for(f"update {n + 1}", _has(out, acct, n + 2), 60)
        tps = [(t, p) for t, c in group.partitions().items() for p in range(c)]
        before = group.committed(tps)

        moves = replay(settings, Target(to_time=started))  # dry run
        assert sum(m.again for m in moves) > 0
        assert group.committed(tps) == before

        with pytest.raises(ConfigError, match="refused: 1 worker"):
            replay(settings, Target(to_time=started), execute=True)
        assert group.committed(tps) == before
    # the worker has stopped (SIGTERM): it left the group; replay through the faust command
    deadline = time.monotonic() + 30
    while group.members() and time.monotonic() < deadline:
        time.sleep(1)
    # everything the Debezium topics hold: this test's changes and every earlier test's
    command = ["-m", "faust", "-A", "streams.app", "replay", "--to-earliest"]
    done = subprocess.run(
        [sys.executable, *command, "--execute"],
        env=worker.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "events to process again — moved" in done.stdout
    assert _source_lag(group) > 0
    with running_worker(base, tmp_path, tag):
        deadline = time.monotonic() + 300
        while _source_lag(group) and time.monotonic() < deadline:
            time.sleep(1)
        assert _source_lag(group) == 0, "the replayed changes were not all processed again"
        out.poll(10.0)
        commands = out.for_account(acct)
    # every account this app ever sent commands for (the history's customers too, ours and
    # every earlier test's, created by the replay): created once, first, then gap-free
    by_account: dict[str, list[int]] = {}
    for c in out.commands:
        by_account.setdefault(c["siebel_account_id"], []).append(c["sequence"])
    assert earlier in by_account, "the replay did not bring the earlier customer"
    for account, sequences in by_account.items():
        assert sequences == list(range(1, len(sequences) + 1)), (account, sequences)
        types = [c["command_type"] for c in out.for_account(account)]
        assert types.count("CREATE_CUSTOMER") == 1, (account, types)
        assert types[0] == "CREATE_CUSTOMER", (account, types)
    assert [c["command_type"] for c in commands] == ["CREATE_CUSTOMER"] + ["UPDATE_CUSTOMER"] * 3
    assert [c["sequence"] for c in commands] == [1, 2, 3, 4]
    names = [c["customer"]["person"]["entity_name"] for c in commands[1:]]
    assert names == [f"Replayed {tag} {n}" for n in range(3)]  # no stale value came back
    out.close()


def test_resend_sends_a_synced_customer_whole_again_and_refuses_a_prospect(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    start_at_end(app_settings(base, tag))
    customer, prospect = new_id("S"), new_id("P")
    with running_worker(base, tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        for acct in (customer, prospect):
            siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
        siebel.order(new_id("O"), "Submitted", (new_id("L"), customer))
        out.wait_for("the create", _has(out, customer, 1), 90)
        command = ["-m", "faust", "-A", "streams.app", "resend", customer, prospect]
        done = subprocess.run(
            [sys.executable, *command],
            env=worker.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr  # one of the two refused
        assert "1 resend requests sent, 1 refused" in done.stdout
        out.wait_for("the resent update", _has(out, customer, 2), 60)
        out.poll(3.0)
        create, update = out.for_account(customer)
        assert (update["command_type"], update["sequence"]) == ("UPDATE_CUSTOMER", 2)
        assert update["changed_sections"] == create["changed_sections"]  # every section
        assert update["customer"] == create["customer"]
        assert out.for_account(prospect) == []
        out.close()


def _all_created(out: Outputs, accounts: list[str]) -> Callable[[], bool]:
    return lambda: all(out.for_account(a) for a in accounts)


def _diff(env: dict[str, str], against: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faust", "-A", "streams.app", "diff", "--against", against],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_shadow_run_diffs_clean_with_the_same_code_and_dirty_with_a_changed_code_map(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    base = stack_env()
    tags = {name: uuid.uuid4().hex[:8] for name in ("prod", "same", "changed")}
    changed_maps = tmp_path / "ccb-code-maps.toml"
    maps = (ROOT / "config" / "ccb-code-maps.toml").read_text()
    changed_maps.write_text(maps.replace('"Residential" = "RES"', '"Residential" = "RESX"'))
    for tag in tags.values():  # all three read the same changes from here on
        start_at_end(app_settings(base, tag))
    accounts = [new_id("X") for _ in range(3)]
    with (
        running_worker(base, tmp_path / "prod", tags["prod"]) as prod,
        running_worker(base, tmp_path / "same", tags["same"]) as same,
        running_worker(
            {**base, "SYNC_CODE_MAPS": str(changed_maps)}, tmp_path / "changed", tags["changed"]
        ) as changed,
    ):
        for acct in accounts:
            siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
            siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
        for worker in (prod, same, changed):
            out = Outputs(worker.settings)
            out.wait_for("every create", _all_created(out, accounts), 120)
            out.close()
    clean = _diff(prod.env, same.settings.commands_topic)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no difference" in clean.stdout
    dirty = _diff(prod.env, changed.settings.commands_topic)
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    for acct in accounts:
        assert f"{acct}: final customer differs in account.customer_class" in dirty.stdout
