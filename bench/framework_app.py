"""The Faust app of `python -m bench.framework`: the product's exactly-once App and event loop
(`process_stream`) around an agent that does no work of its own — each record is forwarded as
it is, and with BENCH_FRAMEWORK_TABLE=1 also written to a table — so what a worker of it
sustains is what faust and the exactly-once machinery cost per record, with no product code.

    faust -A bench.framework_app worker   (started by bench/framework.py)
"""

from __future__ import annotations

import os
from typing import Any

import faust

from streams.exactly_once import App, process_stream
from streams.faust_options import app_options
from streams.settings import Settings

settings = Settings.from_env()
SOURCE = os.environ.get("BENCH_FRAMEWORK_SOURCE", "bench-framework-source")
SINK = os.environ.get("BENCH_FRAMEWORK_SINK", "bench-framework-sink")
WITH_TABLE = os.environ.get("BENCH_FRAMEWORK_TABLE") == "1"
# faust's own App and stream loop, none of the product's exactly-once machinery (at-least-once
# only: faust's exactly-once is what streams/exactly_once/ fixes)
STOCK = os.environ.get("BENCH_FRAMEWORK_STOCK") == "1"

common = app_options(settings)
app: Any = (
    faust.App(settings.app_id, **common)
    if STOCK
    else App(settings.app_id, admin_config=settings.kafka_client_config, **common)
)
source = app.topic(SOURCE, key_type=bytes, value_type=bytes, internal=False)
sink = app.topic(SINK, key_type=bytes, value_type=bytes, internal=False)
table = app.Table("last", default=None, partitions=settings.partitions) if WITH_TABLE else None
if not STOCK:
    app.eos.guard.watch([SOURCE])


@app.agent(source)
async def forward(stream: faust.StreamT) -> None:
    async def handle(event: faust.EventT) -> None:
        message = event.message
        await sink.send(key=message.key, value=message.value)
        if table is not None:
            table[bytes(message.key or b"").decode()] = len(message.value or b"")

    async def bad_input(exc: Exception, event: faust.EventT) -> None:
        raise exc  # nothing here can be bad input; a failure is the benchmark's to see

    if STOCK:
        async for event in stream.events():
            await handle(event)
    else:
        await process_stream(stream, handle, bad_input)
