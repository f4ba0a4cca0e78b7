"""Exactly-once processing on faust-streaming 0.15.3, for any number of workers.

The public surface:

- `App` — a faust.App whose transport commits Kafka transactions the way Kafka Streams does
  (transactions.py, consumer.py) and that keeps its state in `app.eos` (runtime.py);
- `process_stream(stream, handle, on_bad_input)` — the loop an agent runs its events through;
- `is_bad_input(exc)` — which exceptions dead-letter an event (the rest stop the worker);
- `check_copartitioned(counts)` — the start-up check that every topic has one partition count.

Everything else here is bookkeeping the agents never see: the commit gate (gate.py), the offset
guard and the fetch loop that stop faust from losing fetched records (offset_guard.py,
fetch_loop.py), the table store that keeps committed state only (committed_store.py,
local_state.py), the changelog restore before faust's recovery (restore.py), the freeze watch
that stops a zombie under at-least-once, where nothing fences it (freeze.py), and the kill
points fault tests use (kill_points.py).
"""

from streams.exactly_once.partitions import check_copartitioned
from streams.exactly_once.runtime import is_bad_input, process_stream
from streams.exactly_once.transport import App

__all__ = ["App", "check_copartitioned", "is_bad_input", "process_stream"]
