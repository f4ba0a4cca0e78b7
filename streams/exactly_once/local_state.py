"""Local table state left by an earlier version is not trusted (exactly-once).

Local stores now hold only committed state (committed_store.py): a crash leaves nothing to
undo, and faust's recovery reads the changelogs from each store's persisted offset on.

Stores written before that (up to this version, faust's plain RocksDB store) kept a table write
as soon as it was made, so after any unclean stop they may hold writes of aborted transactions.
The first start on such a data directory discards them, once, and they are rebuilt from the
changelog topics, which a `read_committed` consumer reads as exactly what was committed. The
marker below says the stores in a directory are of the committed kind.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = ".committed-only"
OLD_CLEAN_MARKER = ".clean-shutdown"  # the previous version's "stopped cleanly" marker


def prepare(tabledir: Path) -> bool:
    """At start, before any store is opened: discard stores this marker does not vouch for.

    Returns True when state was discarded."""
    tabledir.mkdir(parents=True, exist_ok=True)
    marker = tabledir / MARKER
    if marker.exists():
        return False
    stores = [p for p in tabledir.iterdir() if p.name != OLD_CLEAN_MARKER]
    old_clean = (tabledir / OLD_CLEAN_MARKER).exists()
    (tabledir / OLD_CLEAN_MARKER).unlink(missing_ok=True)
    discard = bool(stores) and not old_clean  # a clean stop of the old version committed all
    if discard:
        log.warning(
            "%s: local table state from an earlier version that did not stop cleanly; "
            "discarding it (%d stores), it is rebuilt from the changelog topics",
            tabledir,
            len(stores),
        )
        for path in stores:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    marker.write_text("these stores hold committed table state only (committed_store.py)\n")
    return discard
