"""The operator's web views on the real stack (streams/web.py): with two workers, a customer
lookup gives the same answer from either (faust's table routing); /metrics parses as Prometheus
text and counts the commands on the topic; /ready is 503 while tables recover and 200 after;
off loopback, views need the bearer token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiokafka.partitioner import murmur2
from prometheus_client.parser import text_string_to_metric_families

from tests.integration import browser
from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    Outputs,
    Siebel,
    app_settings,
    free_port,
    launch_worker,
    new_id,
    prepare_app,
    running_worker,
    start_at_end,
)

pytestmark = pytest.mark.integration


def _get(port: int, path: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = resp.read().decode()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_two_workers_answer_a_lookup_alike_and_metrics_count_the_commands(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    start_at_end(app_settings(base, tag))
    accounts = [new_id("W") for _ in range(6)]  # spread over the partitions of both workers
    with (
        running_worker(base, tmp_path / "a", tag) as one,
        running_worker(base, tmp_path / "b", tag) as two,
    ):
        out = Outputs(one.settings)
        for acct in accounts:
            siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
            siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
        out.wait_for("every create", lambda: all(out.for_account(a) for a in accounts), 120)
        for acct in accounts:
            status_one, from_one = _get(one.web_port, f"/customers/{acct}")
            status_two, from_two = _get(two.web_port, f"/customers/{acct}")
            assert (status_one, status_two) == (200, 200), (acct, from_one, from_two)
            assert from_one == from_two, acct
            assert from_one["sync"]["synced"] is True
            assert [c["command_type"] for c in from_one["commands"]] == ["CREATE_CUSTOMER"]
        assert _get(one.web_port, "/customers/1-NOT-THERE")[0] == 404
        status, found = _get(two.web_port, f"/customers/?q={accounts[0]}")
        assert status == 200
        assert [c["account_id"] for c in found["found"]] == [accounts[0]]

        out.poll(2.0)
        sent = sum(len(out.for_account(a)) for a in accounts)
        counted = 0.0
        topics: set[str] = set()
        lag_partitions: set[tuple[str, str]] = set()  # each partition's lag from its owner
        for port in (one.web_port, two.web_port):
            status, text = _get(port, "/metrics")
            assert status == 200
            families = {f.name: f for f in text_string_to_metric_families(text)}
            counted += sum(
                s.value
                for s in families["sync_commands"].samples
                if s.name == "sync_commands_total"
            )
            assert families["sync_commit_to_command_seconds"].samples
            lag_partitions |= {
                (x.labels["topic"], x.labels["partition"])
                for x in families["sync_consumer_lag"].samples
            }
            topics |= {s.labels["topic"] for s in families["sync_events"].samples}
        assert counted == sent, f"metrics count {counted} commands, the topic has {sent}"
        hub_events = f"it-sync-{tag}-hub-events"
        # the partitions the accounts' hub events went to (murmur2, as faust places them): the
        # client knows their high watermark; an empty partition's it may not have yet
        n = one.settings.partitions
        used = {(murmur2(a.encode()) & 0x7FFFFFFF) % n for a in accounts}
        wanted = {(hub_events, str(p)) for p in used}
        assert wanted <= lag_partitions, f"lag reported for {sorted(lag_partitions)}"
        assert one.settings.source_topic("s_org_ext") in topics
        assert f"it-sync-{tag}-hub-events" in topics
        status, dlq = _get(one.web_port, "/dlq")
        assert status == 200
        assert dlq["topic"] == one.settings.dlq_topic
        status, held = _get(two.web_port, "/held")
        assert (status, held["count"]) == (200, 0)
        out.close()


def test_ready_is_503_while_tables_recover_and_200_after(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    start_at_end(app_settings(base, tag))
    with running_worker(base, tmp_path / "first", tag) as first:
        out = Outputs(first.settings)
        acct = new_id("R")
        siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
        out.wait_for("the create", lambda: bool(out.for_account(acct)), 90)
        out.close()
    # a second worker with an empty store rebuilds the tables from the changelogs
    env = {**first.env, "SYNC_DATA_DIR": str(tmp_path / "empty"), "SYNC_WEB_PORT": str(free_port())}
    prepare_app(env)
    port = int(env["SYNC_WEB_PORT"])
    proc = launch_worker(env, tmp_path / "second.log")
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and 200 not in seen:
            with contextlib.suppress(OSError):  # not listening yet
                seen.append(_get(port, "/ready")[0])
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    assert 503 in seen, f"never saw the worker not ready: {seen[:20]}"
    assert seen[-1] == 200
    assert seen.index(200) > seen.index(503)


def test_off_loopback_views_need_the_token_but_health_does_not(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    base = {**stack_env(), "SYNC_WEB_BIND": "0.0.0.0", "SYNC_WEB_TOKEN": "tok-" + tag}  # noqa: S104
    with running_worker(base, tmp_path, tag) as worker:
        assert _get(worker.web_port, "/health")[0] == 200
        assert _get(worker.web_port, "/sync/stats/")[0] == 401
        assert _get(worker.web_port, "/ready", token="wrong")[0] == 401
        assert _get(worker.web_port, "/sync/stats/", token="tok-" + tag)[0] == 200


ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"


def test_the_operator_page_looks_a_customer_up_in_a_real_browser(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    start_at_end(app_settings(base, tag))
    acct = new_id("H")
    with running_worker(base, tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
        out.wait_for("the create", lambda: bool(out.for_account(acct)), 90)
        out.close()

        async def look_up() -> tuple[str, str]:
            async with browser.chromium(tmp_path / "profile") as page:
                await page.goto(f"http://127.0.0.1:{worker.web_port}/")
                await page.type_and_enter("#q", acct)
                state, commands = await page.text("#state"), await page.text("#commands")
                ARTEFACTS.mkdir(exist_ok=True)
                await page.screenshot(ARTEFACTS / "operator-page.png")
                return state, commands

        state, commands = asyncio.run(look_up())
    assert acct in state
    assert "yes" in state  # synced to CC&B
    assert "CREATE_CUSTOMER" in commands
    assert (ARTEFACTS / "operator-page.png").stat().st_size > 1000
