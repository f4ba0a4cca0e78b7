"""The oracle (oracle.py) is what the fault runs are judged by, so its checks must be able to fail:
on a clean run it finds nothing, and after a table state, a lookup history and an agent's output
are tampered with on the real topics, it names each."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from bench import kafka_bench
from bench.generate import events
from streams.app import ORIGIN_HEADER
from streams.core.source_config import SourceConfig
from streams.topology import internal_topic_names
from tests.reliability import oracle

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.mark.timeout(600)
def test_the_oracle_passes_a_clean_run_and_names_tampered_state(tmp_path: Path) -> None:
    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    run.prepare()
    run.produce(events(150))
    _, commands = kafka_bench.faust_worker(run, tmp_path / "worker.log")
    assert commands >= 50, f"one create per ordered customer at least: {tmp_path}"
    settings, source = run.settings, SourceConfig.load()

    clean = oracle.check(settings, source)
    assert clean.problems == [], clean.problems
    assert clean.counts["orders inputs folded"] >= 100, clean.counts  # header + line per order
    assert clean.counts["refs inputs folded"] >= 300, clean.counts  # rows and subscriptions

    app = settings.app_id
    order = next(oracle.read_all(settings, [f"{app}-orders-changelog"]))
    history = next(oracle.read_all(settings, [f"{app}-history-changelog"]))
    orders_topic = internal_topic_names(settings)["orders"]
    cause = next(oracle.read_all(settings, [orders_topic]))
    origin = f"{cause.topic()}:{cause.partition()}:{cause.offset()}:99"
    producer = Producer(run.client())
    wrong_state = {**json.loads(order.value()), "requested": ["1-NOBODY"]}
    producer.produce(
        order.topic(), key=order.key(), value=json.dumps(wrong_state), partition=order.partition()
    )
    producer.produce(history.topic(), key=history.key(), value=b"[]", partition=history.partition())
    producer.produce(  # one more output of an orders input than its fold gives
        internal_topic_names(settings)["hub"],
        key=b"1-NOBODY",
        value=b"{}",
        headers=[(ORIGIN_HEADER, origin.encode())],
    )
    assert producer.flush(30) == 0

    tampered = oracle.check(settings, source)
    assert tampered.counts["orders states disagree"] == 1, tampered.problems
    assert tampered.counts["history/commands disagree"] == 1, tampered.problems
    assert any(p.startswith(origin.rsplit(":", 1)[0]) for p in tampered.problems), tampered.problems
    assert tampered.counts["refs states disagree"] == 0, tampered.problems
