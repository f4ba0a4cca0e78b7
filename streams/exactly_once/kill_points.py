"""Named places where a fault test can kill the worker (SIGKILL to itself).

`SYNC_KILL_POINTS=commit.after_flush@3,revoke` kills the worker the 3rd time it reaches
`commit.after_flush`, or the first time it reaches `revoke`. Unset (production), a kill point
costs one dictionary look-up. The points are the moments a crash is most likely to split what
must stay together:

- `commit.after_flush`: a transaction's records are flushed, its commit not sent;
- `commit.table_drain`: table changelog writes are being drained into the transaction;
- `recovery`: tables are being rebuilt from their changelogs (a partition just moved here);
- `revoke`: partitions are being revoked, after faust's own revoke handling.

Each hit is logged first (`kill point … reached`), so a fault harness can tell it was hit.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

POINTS = ("commit.after_flush", "commit.table_drain", "recovery", "revoke")
ENV = "SYNC_KILL_POINTS"


def parse(spec: str) -> dict[str, int]:
    """`name[@n],…` → {name: n}; an unknown name is an error (a typo would test nothing)."""
    wanted: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, nth = part.partition("@")
        if name not in POINTS:
            raise ValueError(f"{ENV}: unknown kill point {name!r}; known: {', '.join(POINTS)}")
        wanted[name] = int(nth) if nth else 1
    return wanted


class KillPoints:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._wanted = parse((os.environ if env is None else env).get(ENV, ""))
        self._hits: dict[str, int] = {}

    def reached(self, name: str) -> bool:
        """Count a hit; True when this hit is the one that kills (the caller then dies)."""
        if name not in self._wanted:
            return False
        self._hits[name] = self._hits.get(name, 0) + 1
        return self._hits[name] == self._wanted[name]

    def __call__(self, name: str) -> None:
        if self.reached(name):
            log.warning("kill point %s reached: SIGKILL", name)
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)


kill_point = KillPoints()
