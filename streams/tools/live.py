"""`make run`: the worker and the Siebel activity simulator together, with a live summary line.

Registers the command schema and creates the topics first (both idempotent), then starts
`faust -A streams.app worker -l info` (log in .stack/logs/worker.log) and the simulator, and
prints events in / creates / updates / held / dead letters every two seconds. Ctrl-C stops both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from streams.avro_codec import register, subject_for
from streams.core.source_config import SourceConfig
from streams.settings import Settings
from streams.topology import create_topics

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".stack" / "logs"


def _stats(settings: Settings) -> dict[str, Any] | None:
    url = f"http://127.0.0.1:{settings.web_port}/sync/stats/"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return dict(json.loads(resp.read()))
    except OSError:
        return None


def _line(stats: dict[str, Any]) -> str:
    return (
        f"events in {stats.get('events_in', 0):>6} | creates {stats.get('CREATE_CUSTOMER', 0):>4}"
        f" | updates {stats.get('UPDATE_CUSTOMER', 0):>5} | held {stats.get('held_creates', 0):>3}"
        f" | alerts {stats.get('alerts', 0):>3} | dead letters {stats.get('dead_letters', 0):>3}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and a service manager's SIGTERM both stop worker and simulator cleanly, also when
    # started from a shell that left SIGINT ignored (background jobs, nohup).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = Settings.from_env()
    register(
        SchemaRegistryClient(settings.schema_registry_config()),
        subject_for(settings.commands_topic),
    )
    create_topics(settings, SourceConfig.load())
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "worker.log").open("ab") as wlog, (LOGS / "simulator.log").open("ab") as slog:
        worker = subprocess.Popen(
            [sys.executable, "-m", "faust", "-A", "streams.app", "worker", "-l", "info"],
            cwd=ROOT,
            stdout=wlog,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        print(f"worker started (log {LOGS / 'worker.log'}); waiting until it is ready ...")
        deadline = time.monotonic() + 120
        while _stats(settings) is None:
            if worker.poll() is not None or time.monotonic() > deadline:
                print(f"the worker did not start; see {LOGS / 'worker.log'}", file=sys.stderr)
                _stop(worker)
                return 1
            time.sleep(1)
        simulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streams.tools.simulator",
                "--rate",
                os.environ.get("SIM_RATE", "2"),
            ],
            cwd=ROOT,
            stdout=slog,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        web = f"http://127.0.0.1:{settings.web_port}"
        print(f"simulator writing Siebel activity; operator page: {web}/ (metrics: {web}/metrics)")
        print(
            f"commands on {settings.commands_topic}, alerts and dead letters on "
            f"{settings.dlq_topic}. Ctrl-C stops."
        )
        try:
            while worker.poll() is None:
                stats = _stats(settings)
                if stats is not None:
                    print("\r" + _line(stats), end="", flush=True)
                time.sleep(2)
            print(f"\nthe worker stopped; see {LOGS / 'worker.log'}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping ...")
            return 0
        finally:
            _stop(simulator)
            _stop(worker)


if __name__ == "__main__":
    sys.exit(main())
