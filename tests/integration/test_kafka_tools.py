"""Kafka's own command-line tools run against the local stack (`python -m stack kafka …`,
stack/tools.py), so an operator can check a replay's effect and the lag with the standard tool."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from stack.tools import TOOLS
from tests.conftest import ROOT
from tests.integration.conftest import stack_env
from tests.integration.pipeline import app_settings, prepare_app, start_at_end

pytestmark = pytest.mark.integration


def _kafka(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stack", "kafka", *args],
        cwd=ROOT,
        env={**os.environ, **stack_env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_each_tool_runs_from_the_fetched_jars(tool: str) -> None:
    done = _kafka(tool, "--version")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().startswith("4."), done.stdout  # Kafka's version, e.g. 4.3.1


def test_consumer_groups_describes_the_apps_offsets() -> None:
    tag = uuid.uuid4().hex[:8]
    env = stack_env()
    settings = app_settings(env, tag)
    prepare_app({**env, "SYNC_APP_ID": settings.app_id})
    committed = start_at_end(settings)
    done = _kafka("kafka-consumer-groups", "--describe", "--group", settings.app_id)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith(settings.app_id)]
    described = {(r[1], int(r[2])): int(r[3]) for r in rows}  # GROUP TOPIC PARTITION CURRENT-…
    assert described == committed
    listing = _kafka("kafka-topics", "--list")
    assert f"{settings.app_id}-hub-events" in listing.stdout.split()
