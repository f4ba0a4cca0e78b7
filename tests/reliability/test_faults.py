"""DESIGN §8 with several workers: nothing lost, nothing duplicated through kill -9, rolling
restarts, stalled workers (zombies), scaling, a broker and a Connect restart, and crashes at the
worker's most delicate moments (kill points) — checked by an independent oracle (oracle.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.exactly_once.freeze import EXIT_FROZEN
from tests.integration.conftest import stack_env
from tests.reliability import scenario

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.mark.timeout(1200)
def test_two_workers_under_faults_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    report = scenario.run(
        stack_env(), tmp_path, rounds=6, workers=2, gap_s=10.0, static_second=True
    )
    print(report.summary())  # shown with -rP; the README quotes the last run
    assert sum(report.faults.values()) >= 20
    assert set(report.kill_points_hit) == {p.split("@")[0] for p in scenario.KILL_POINTS}, (
        f"kill points not reached: see the worker logs in {tmp_path}"
    )
    assert report.ok, report.summary()


@pytest.mark.timeout(900)
def test_at_least_once_under_faults_resends_only_identical_commands(tmp_path: Path) -> None:
    report = scenario.run(
        stack_env(),
        tmp_path,
        rounds=1,
        workers=2,
        guarantee="at_least_once",
        kill_points=False,
        infra_faults=False,
        gap_s=10.0,
    )
    print(report.summary())
    assert report.ok, report.summary()  # a repeat is the same command; nothing is missing
    # nothing fences a zombie here: each stalled worker stopped itself once it resumed
    stalls = sum(n for fault, n in report.faults.items() if fault.startswith("SIGSTOP"))
    assert report.exit_codes.get(EXIT_FROZEN) == stalls >= 1, report.summary()
