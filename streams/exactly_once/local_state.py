"""Local table state is trusted after a clean stop only (exactly-once).

faust writes a table change to RocksDB at once, while its changelog record and the event's
outputs wait in a Kafka transaction. When the worker is killed, that transaction is aborted —
but the RocksDB write stays. On restart faust reads the changelog only from the offset it last
recorded, so a key with no committed change after that offset keeps the aborted value, and the
hub then finds nothing to send for the events it processes again: lost updates.

Kafka Streams has the same problem and the same answer: under exactly-once, local state that
was not closed cleanly is wiped and rebuilt from the changelog, which a `read_committed`
consumer reads as exactly what was committed. The marker below is written after the final
commit of a clean stop and removed at start, so a crash at any point leaves no marker.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = ".clean-shutdown"


def discard_if_unclean(tabledir: Path) -> bool:
    """At start: keep the local tables if the last stop was clean, else delete them.

    Returns True when state was discarded. The marker is consumed either way: from now on
    the state is being changed again.
    """
    marker = tabledir / MARKER
    if marker.exists():
        marker.unlink()
        return False
    stores = list(tabledir.iterdir()) if tabledir.is_dir() else []
    if not stores:
        return False
    log.warning(
        "%s: the worker did not stop cleanly; discarding local table state (%d stores), "
        "it is rebuilt from the changelog topics",
        tabledir,
        len(stores),
    )
    for path in stores:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return True


def mark_clean(tabledir: Path) -> None:
    """After the final commit: the local tables hold exactly what was committed."""
    tabledir.mkdir(parents=True, exist_ok=True)
    (tabledir / MARKER).write_text("the last stop committed all table state\n")
