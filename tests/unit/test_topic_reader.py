"""streams/topic_reader.py without a broker: offsets asked again while a partition has no
leader (a topic created a moment ago), and not for other errors."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from streams import topic_reader


class FakeAdmin:
    def __init__(self, *errors: int) -> None:
        self.errors = list(errors)
        self.calls = 0

    def list_offsets(self, request: dict[Any, Any], **_: Any) -> dict[Any, Future[Any]]:
        self.calls += 1
        futures: dict[Any, Future[Any]] = {}
        for tp in request:
            future: Future[Any] = Future()
            if self.errors:
                future.set_exception(KafkaException(KafkaError(self.errors[0])))
            else:
                future.set_result(SimpleNamespace(offset=42))
            futures[tp] = future
        if self.errors:
            self.errors.pop(0)
        return futures


def test_a_partition_without_a_leader_yet_is_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(topic_reader.time, "sleep", lambda _: None)
    admin = FakeAdmin(KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE)
    assert topic_reader.end_offsets(admin, [("t", 0)]) == {("t", 0): 42}  # type: ignore[arg-type]
    assert admin.calls == 3


def test_other_errors_are_raised_at_once() -> None:
    admin = FakeAdmin(KafkaError.TOPIC_AUTHORIZATION_FAILED)
    with pytest.raises(KafkaException):
        topic_reader.start_offsets(admin, [("t", 0)])  # type: ignore[arg-type]
    assert admin.calls == 1
