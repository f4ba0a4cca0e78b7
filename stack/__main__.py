"""Local stack without Docker: `python -m stack up|down|status|env|register FILE`, and
`python -m stack kafka TOOL ARGS…` for Kafka's command-line tools (stack/tools.py).

PostgreSQL (Siebel stand-in), Kafka (KRaft), Apicurio Registry (Confluent-compatible API) and
Kafka Connect with Debezium, as plain processes bound to 127.0.0.1, with data, logs and
generated configs under one git-ignored folder (`.stack/`, or $STACK_HOME).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from stack import prereqs, procs, tools
from stack.config import CONNECTOR_FILE, StackConfig, write_env_file
from stack.procs import StackError
from stack.services import Connect, Kafka, Postgres, Registry


def up(cfg: StackConfig) -> None:
    started = time.monotonic()
    prereqs.require_java()
    prereqs.fetch_jars(cfg)
    for folder in (cfg.logs, cfg.run, cfg.conf):
        folder.mkdir(parents=True, exist_ok=True)
    Postgres(cfg).start()
    kafka = Kafka(cfg)
    kafka.wait_healthy(kafka.launch())
    # The registry (journal in Kafka) and Connect only need Kafka: start both, then wait.
    registry, connect = Registry(cfg), Connect(cfg)
    pids = {registry: registry.launch(), connect: connect.launch()}
    for service, pid in pids.items():
        service.wait_healthy(pid)
    name = connect.register()
    procs.wait_until(
        f"connector {name}",
        lambda: connect.connector_state(name) == "RUNNING",
        timeout_s=90,
        log=connect.log,
    )
    write_env_file(cfg)
    print(f"stack healthy in {time.monotonic() - started:.0f}s; settings in {cfg.env_file}")
    status(cfg)


def down(cfg: StackConfig) -> None:
    # Connect first so it flushes source offsets while Kafka is still there.
    for service in (Connect(cfg), Registry(cfg), Kafka(cfg)):
        service.stop()
    Postgres(cfg).stop()
    print("stack stopped; data kept in", cfg.home / "data")


def _health(check: object) -> str:
    try:
        return "up" if callable(check) and check() else "down"
    except Exception:  # noqa: BLE001 - any failed probe means the service does not answer
        return "down"


def status(cfg: StackConfig) -> bool:
    connect = Connect(cfg)
    rows = [
        ("postgres", _health(Postgres(cfg).healthy), f"127.0.0.1:{cfg.pg_port}"),
        ("kafka", _health(Kafka(cfg).healthy), cfg.bootstrap_servers),
        ("registry", _health(Registry(cfg).healthy), cfg.registry_url),
        ("connect", _health(connect.healthy), cfg.connect_url),
    ]
    name = CONNECTOR_FILE.stem
    state = connect.connector_state(name)
    for service, health, where in rows:
        print(f"{service:<10} {health:<5} {where}")
    print(f"{'connector':<10} {name}: {state}")
    return all(h == "up" for _, h, _ in rows) and state == "RUNNING"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start every service (idempotent) and register the connector")
    sub.add_parser("down", help="stop every service, keeping data")
    sub.add_parser(
        "status", help="per service up/down and the connector state; exit 1 if not all up"
    )
    sub.add_parser("fetch", help="only fetch the jars from Maven Central")
    reg = sub.add_parser("register", help="PUT a connector config file to Connect")
    reg.add_argument("file", type=Path)
    kafka = sub.add_parser("kafka", help="a Kafka tool: kafka-consumer-groups, kafka-topics, …")
    kafka.add_argument("tool", choices=sorted(tools.TOOLS))
    kafka.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cfg = StackConfig.from_env()
    try:
        if args.command == "up":
            up(cfg)
        elif args.command == "down":
            down(cfg)
        elif args.command == "status":
            return 0 if status(cfg) else 1
        elif args.command == "fetch":
            prereqs.fetch_jars(cfg)
        elif args.command == "register":
            print("registered", Connect(cfg).register(args.file))
        elif args.command == "kafka":
            return tools.run(cfg, args.tool, args.args)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
