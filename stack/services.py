"""The four services of the local stack: how each is set up, started, probed and stopped."""

from __future__ import annotations

import base64
import json
import os
import pwd
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from stack import prereqs, procs
from stack.config import (
    CONF_TEMPLATES,
    CONNECTOR_FILE,
    ROLES_SQL,
    SCHEMA_SQL,
    StackConfig,
    render,
)
from stack.procs import StackError

HTTP_TIMEOUT_S = 5.0


# --- HTTP helpers ------------------------------------------------------------------------------
def http_json(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
        payload = resp.read()
    return json.loads(payload) if payload else None


# --- PostgreSQL --------------------------------------------------------------------------------
class Postgres:
    name = "postgres"

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.data = cfg.pg_data
        self.log = cfg.logs / "postgres.log"

    def _as_owner(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        # initdb and postgres refuse to run as root: as root, run them as the `postgres` user.
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, text=True, capture_output=True, **kw)

    def _bin(self, tool: str) -> str:
        return str(prereqs.pg_bindir() / tool)

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._as_owner([self._bin("pg_ctl"), "status", "-D", str(self.data)]).returncode == 0

    def healthy(self) -> bool:
        return self.running() and procs.port_open(self.cfg.pg_port)

    def _prepare_dirs(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.cfg.logs.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.data, self.log):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            # The postgres user must be able to traverse down to its data directory (a
            # `mktemp -d` checkout is mode 700); grant search (x) only, nothing readable.
            for parent in self.data.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        self.data.chmod(0o700)
        socket_path = self.data / f".s.PGSQL.{self.cfg.pg_port}"
        if len(str(socket_path)) > 100:
            raise StackError(f"path too long for a Unix socket: {socket_path}; set STACK_HOME")

    def start(self) -> None:
        if self.healthy():
            return
        self._prepare_dirs()
        if not (self.data / "PG_VERSION").exists():
            result = self._as_owner(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
            if result.returncode != 0:
                raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")
        options = " ".join(
            [
                f"-p {self.cfg.pg_port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.data}",
                "-c wal_level=logical",
                "-c max_wal_senders=10",
                "-c max_replication_slots=10",
            ]
        )
        result = self._as_owner(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
        )
        if result.returncode != 0:
            raise StackError(f"PostgreSQL did not start:\n{result.stderr}{procs.tail(self.log)}")
        self.apply_schema()

    def psql(self, *args: str, db: str = "postgres", stdin: str | None = None) -> str:
        """psql as the superuser over the Unix socket; SQL files go in on stdin because the
        postgres user may not be allowed to read the checkout."""
        argv = [self._bin("psql"), "-h", str(self.data), "-p", str(self.cfg.pg_port)]
        argv += ["-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atq", *args]
        result = self._as_owner(argv, input=stdin)
        if result.returncode != 0:
            raise StackError(f"psql on {db} failed:\n{result.stderr}")
        return result.stdout

    def apply_schema(self) -> None:
        """Database, tables, publication and roles: idempotent, so applied on every start."""
        db = self.cfg.db_name
        # db comes from the stack's own config, never from user input.
        query = f"SELECT 1 FROM pg_database WHERE datname = '{db}'"  # noqa: S608
        if not self.psql("-c", query).strip():
            self.psql("-c", f'CREATE DATABASE "{db}"')
        self.psql(stdin=SCHEMA_SQL.read_text(), db=db)
        self.psql(
            "-v",
            f"app_password={self.cfg.db_app_password}",
            "-v",
            f"cdc_password={self.cfg.db_cdc_password}",
            stdin=ROLES_SQL.read_text(),
            db=db,
        )

    def stop(self) -> None:
        if self.running():
            self._as_owner([self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


# --- JVM services ------------------------------------------------------------------------------
class JvmService:
    name = ""
    marker = ""

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.log = cfg.logs / f"{self.name}.log"
        self.pid_file = cfg.run / f"{self.name}.pid"

    def pid(self) -> int | None:
        return procs.pid_of(self.pid_file, self.marker)

    def healthy(self) -> bool:
        raise NotImplementedError

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def cwd(self) -> Path | None:
        return None

    def prepare(self) -> None:
        """First-start work (rendering configs, formatting storage)."""

    def launch(self) -> int | None:
        """Start unless already running; returns the pid to wait on, or None if it was up."""
        pid = self.pid()
        if pid is not None:
            return pid
        self.prepare()
        return procs.start(
            self.name,
            self.argv(),
            run_dir=self.cfg.run,
            log_dir=self.cfg.logs,
            cwd=self.cwd(),
            env=self.env(),
        )

    def wait_healthy(self, pid: int | None, timeout_s: float = 120.0) -> None:
        procs.wait_until(self.name, self.healthy, timeout_s=timeout_s, log=self.log, pid=pid)

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            procs.stop(pid)
        self.pid_file.unlink(missing_ok=True)

    def crash(self) -> None:
        """Kill it as a power cut or an OOM kill would (fault tests)."""
        pid = self.pid()
        if pid is not None:
            procs.kill(pid)
        self.pid_file.unlink(missing_ok=True)

    def _render(self, template: str, target: str) -> Path:
        path = self.cfg.conf / target
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (CONF_TEMPLATES / template).read_text()
        path.write_text(render(text, self.cfg.template_values()))
        return path

    def _kafka_java(self, main: str, heap: str, props: Path) -> list[str]:
        log4j = self._render("log4j2.properties", "log4j2.properties")
        return [
            prereqs.require_java(),
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={self.cfg.logs}",
            "-cp",
            str(self.cfg.dist / "kafka-libs" / "*"),
            main,
            str(props),
        ]


class Kafka(JvmService):
    name = "kafka"
    marker = "kafka.Kafka"

    def prepare(self) -> None:
        self._render("kafka-server.properties", "kafka.properties")
        if (self.cfg.kafka_data / "meta.properties").exists():
            return
        self.cfg.kafka_data.mkdir(parents=True, exist_ok=True)
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        cp = str(self.cfg.dist / "kafka-libs" / "*")
        result = subprocess.run(
            [
                prereqs.require_java(),
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(self.cfg.conf / "kafka.properties"),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def argv(self) -> list[str]:
        return self._kafka_java("kafka.Kafka", "1g", self.cfg.conf / "kafka.properties")

    def healthy(self) -> bool:
        from confluent_kafka.admin import AdminClient

        if not procs.port_open(self.cfg.kafka_port):
            return False
        admin = AdminClient({"bootstrap.servers": self.cfg.bootstrap_servers, "log_level": 0})
        return len(admin.list_topics(timeout=3).brokers) > 0


class Registry(JvmService):
    name = "registry"
    marker = "quarkus-run.jar"

    def cwd(self) -> Path:
        return self.cfg.dist / "apicurio"

    def argv(self) -> list[str]:
        return [prereqs.registry_java(), "-Xmx512m", "-jar", "quarkus-run.jar"]

    def env(self) -> dict[str, str]:
        return {
            "QUARKUS_HTTP_HOST": "127.0.0.1",
            "QUARKUS_HTTP_PORT": str(self.cfg.registry_port),
            "QUARKUS_MANAGEMENT_HOST": "127.0.0.1",
            "QUARKUS_MANAGEMENT_PORT": str(self.cfg.registry_mgmt_port),
            # Schemas are kept in a Kafka journal topic, so they survive a restart like the data.
            "APICURIO_STORAGE_KIND": "kafkasql",
            "APICURIO_KAFKASQL_BOOTSTRAP_SERVERS": self.cfg.bootstrap_servers,
        }

    def healthy(self) -> bool:
        http_json("GET", f"{self.cfg.registry_url}/subjects")
        return True


class Connect(JvmService):
    name = "connect"
    marker = "ConnectDistributed"

    def argv(self) -> list[str]:
        props = self._render("connect-distributed.properties", "connect.properties")
        return self._kafka_java("org.apache.kafka.connect.cli.ConnectDistributed", "1g", props)

    def env(self) -> dict[str, str]:
        return self.cfg.connector_env()

    def healthy(self) -> bool:
        plugins = http_json("GET", f"{self.cfg.connect_url}/connector-plugins")
        return any(p["class"].endswith("PostgresConnector") for p in plugins)

    def register(self, config_file: Path = CONNECTOR_FILE) -> str:
        """PUT the flat config (idempotent: same config, same connector); returns its name."""
        config = json.loads(config_file.read_text())
        name = config.get("name", config_file.stem)
        http_json("PUT", f"{self.cfg.connect_url}/connectors/{name}/config", config)
        return str(name)

    def connector_state(self, name: str) -> str:
        try:
            status = http_json("GET", f"{self.cfg.connect_url}/connectors/{name}/status")
        except urllib.error.HTTPError as exc:
            return "NOT REGISTERED" if exc.code == 404 else f"HTTP {exc.code}"
        except OSError:
            return "UNKNOWN (Connect down)"
        tasks = status.get("tasks", [])
        states = {status["connector"]["state"], *(t["state"] for t in tasks)}
        if not tasks:
            return "NO TASKS"
        if states == {"RUNNING"}:
            return "RUNNING"
        failed = [t.get("trace", "").splitlines()[0] for t in tasks if t["state"] == "FAILED"]
        return "/".join(sorted(states)) + (f": {failed[0]}" if failed else "")
