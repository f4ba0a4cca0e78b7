"""The faust App and transport that put the pieces of this package together.

`App` is a faust.App whose transport uses the consumer, producer and transaction manager of
this package, and which carries its exactly-once state as `app.eos` (runtime.py). Under
at_least_once the same classes run; only the transaction parts are idle.

Replaced faust methods: `App._new_transport`, `App._new_producer_transport` (faust/app/base.py),
`App.on_first_start` (extended: local state, co-partitioning check, the freeze watch of
at-least-once). Tables are kept in the committed-only store (committed_store.py) by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types.transports import TransportT

from streams.exactly_once import local_state
from streams.exactly_once.committed_store import STORE_URL, CommittedTables
from streams.exactly_once.consumer import GatedConsumer
from streams.exactly_once.freeze import FreezeWatch, limit_for
from streams.exactly_once.runtime import Runtime
from streams.exactly_once.transactions import EventTransactions, StrictProducer


class Transport(aiokafka_driver.Transport):
    Consumer = GatedConsumer
    Producer = StrictProducer
    TransactionManager = EventTransactions


class App(faust.App):
    """faust.App on the transport above.

    `before_start` runs once before anything is consumed (e.g. the co-partitioning check of
    partitions.py); an exception there stops the worker with that message. `admin_config`
    gives librdkafka settings for the check of partitions taken over (undecided.py).
    """

    def __init__(
        self,
        *args: Any,
        before_start: Callable[[], None] | None = None,
        admin_config: Callable[[], dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("store", STORE_URL)
        kwargs.setdefault("TableManager", CommittedTables)
        super().__init__(*args, **kwargs)
        self.eos = Runtime(self, admin_config=admin_config)
        self._before_start = before_start

    async def on_first_start(self) -> None:
        await super().on_first_start()
        if self._before_start is not None:
            self._before_start()
        if self.in_transaction:  # before any table store is opened (local_state.py)
            local_state.prepare(self.conf.tabledir)
        else:  # nothing fences a zombie under at-least-once: it stops itself (freeze.py)
            conf = self.conf
            limit = limit_for(conf.broker_session_timeout, conf.broker_heartbeat_interval)
            self.eos.freeze = FreezeWatch(limit)
            self.eos.freeze.start()

    def _new_transport(self) -> TransportT:
        return Transport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return Transport(self.conf.broker_producer, self)
