"""Several workers of one app as real processes, and the faults an operator's world inflicts on
them: kill -9, a rolling restart (SIGTERM, start again), a stalled worker (SIGSTOP past the
session timeout, then SIGCONT: a zombie), scaling out and in, a Kafka broker crash and a
Kafka Connect restart, and named kill points inside the worker (SYNC_KILL_POINTS).

A worker that exits on its own (a fenced zombie, an infrastructure failure) is started again,
as systemd or Kubernetes would; `supervise()` does that and counts it. Every process started
here is stopped by its process group id; nothing talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from stack.config import StackConfig
from stack.services import Connect, Kafka
from tests.integration.pipeline import free_port, launch_worker

START_TIMEOUT_S = 120.0


@dataclass
class WorkerProcess:
    name: str
    env: dict[str, str]
    data_dir: Path
    logs: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log: Path | None = None
    # a static member (SYNC_GROUP_INSTANCE_ID) keeps its id and web address across restarts
    static_id: str | None = None
    port: int = field(default_factory=free_port)

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        assert not self.alive()
        self.starts += 1
        self.log = self.logs / f"{self.name}-{self.starts}.log"
        env = {
            **self.env,
            "SYNC_WEB_PORT": str(self.port if self.static_id else free_port()),
            "SYNC_DATA_DIR": str(self.data_dir),
            **({"SYNC_GROUP_INSTANCE_ID": self.static_id} if self.static_id else {}),
            **(extra_env or {}),
        }
        self.proc = launch_worker(env, self.log)

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> bool:
        """True once the worker says it is ready; False if it died first (a kill point)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.log is not None and b"Worker ready" in self.log.read_bytes():
                return True
            if not self.alive():
                return False
            time.sleep(0.3)
        raise AssertionError(f"{self.name} not ready in {timeout_s:.0f}s: see {self.log}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_processing(self, timeout_s: float = 90.0) -> None:
        """Until the worker's last rebalance has ended in "Worker ready" (its tables are
        recovered and its agents run), and a little more so events are under way."""
        deadline = time.monotonic() + timeout_s
        while self.alive() and time.monotonic() < deadline:
            text = self.log.read_text(errors="replace") if self.log else ""
            ready = text.rfind("Worker ready")
            if ready > text.rfind("Setting newly assigned partitions") and ready >= 0:
                time.sleep(2.0)
                return
            time.sleep(0.5)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        if self.alive():
            self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)

    def terminate(self, grace_s: float = 60.0) -> None:
        """SIGTERM and wait for a clean stop (SIGKILL only past the grace time)."""
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            assert self.proc is not None
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs.glob(f"{self.name}-*.log"))


@dataclass
class Cluster:
    """Workers of one app id; faults by kind are counted in `faults`."""

    env: dict[str, str]
    root: Path
    workers: list[WorkerProcess] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    self_restarts: int = 0
    exit_codes: Counter[int] = field(default_factory=Counter)

    def add(self, static: bool = False) -> WorkerProcess:
        n = len(self.workers)
        worker = WorkerProcess(f"w{n}", self.env, self.root / f"w{n}-data", self.root)
        if static:
            worker.static_id = f"{self.env['SYNC_APP_ID']}-w{n}"
        self.workers.append(worker)
        return worker

    def live(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.alive()]

    def supervise(self) -> None:
        """Start again every worker that stopped on its own (not one stopped on purpose: scaled
        in). One that exited by itself (fenced, an infrastructure failure) is counted."""
        for worker in self.workers:
            if worker.proc is not None and not worker.alive():
                if worker.proc.returncode != -signal.SIGKILL:
                    self.self_restarts += 1
                    self.exit_codes[worker.proc.returncode] += 1
                worker.start()

    # --- faults ------------------------------------------------------------------------------
    def sigkill_restart(self, worker: WorkerProcess) -> None:
        worker.kill()
        self.faults["SIGKILL + restart"] += 1
        worker.start()

    def rolling_restart(self, worker: WorkerProcess) -> None:
        worker.terminate()
        self.faults["SIGTERM + restart"] += 1
        worker.start()

    def stall(self, worker: WorkerProcess, seconds: float) -> None:
        """A zombie: stopped past the session timeout while it processes (not while it still
        recovers its tables), its partitions move, then it resumes."""
        worker.wait_processing()
        if not worker.alive():
            return
        worker.signal(signal.SIGSTOP)
        time.sleep(seconds)
        if worker.alive():
            worker.signal(signal.SIGCONT)
        self.faults[f"SIGSTOP {seconds:.0f}s + SIGCONT"] += 1

    def kill_point(self, worker: WorkerProcess, point: str, timeout_s: float = 120.0) -> bool:
        """Restart `worker` so that it kills itself at `point`, and wait until it has (the
        supervisor then starts it again, without the kill point). True if it was hit."""
        worker.terminate()
        worker.start({"SYNC_KILL_POINTS": point})
        self.faults[f"kill point {point.split('@')[0]}"] += 1
        deadline = time.monotonic() + timeout_s
        while worker.alive() and time.monotonic() < deadline:
            self.supervise()
            time.sleep(0.5)
        hit = f"kill point {point.split('@')[0]} reached" in worker.log_text()
        self.supervise()
        return hit

    def scale_out(self, to: int) -> None:
        while len(self.live()) < to:
            stopped = [w for w in self.workers if not w.alive()]
            (stopped[0] if stopped else self.add()).start()
        self.faults[f"scale out to {to}"] += 1

    def scale_in(self, to: int) -> None:
        for worker in self.live()[to:]:
            worker.terminate()
            worker.proc = None  # stopped on purpose: not supervised
        self.faults[f"scale in to {to}"] += 1

    def restart_broker(self) -> None:
        """The only broker crashes and comes back. Not a graceful stop: on a one-broker
        cluster, Kafka's controlled shutdown can record a commit under way as complete without
        writing its markers (streams/exactly_once/undecided.py), which leaves a hanging
        transaction only an operator can resolve; workers stop on it by design."""
        kafka = Kafka(StackConfig.from_env())
        kafka.crash()
        kafka.wait_healthy(kafka.launch())
        self.faults["Kafka broker crash"] += 1

    def restart_connect(self) -> None:
        connect = Connect(StackConfig.from_env())
        connect.stop()
        connect.wait_healthy(connect.launch())
        self.faults["Kafka Connect restart"] += 1

    def stop(self) -> None:
        for worker in self.workers:
            worker.terminate()
