"""Records of the alerts / dead-letter topic (R3, R10, R11, R14): JSON, one per problem, with the
original bytes and source coordinates so nothing is lost and everything can be replayed."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from streams.core.events import Alert


@dataclass(frozen=True)
class Coordinates:
    """Where the record that caused the problem sits: `topic[partition]@offset`."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def dead_letter(
    reason: str,
    error: BaseException,
    at: Coordinates,
    key: bytes | None,
    value: bytes | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A record that could not be processed: the error and the untouched input."""
    return {
        "kind": "DEAD_LETTER",
        "reason": reason,
        "error_class": type(error).__name__,
        "message": str(error),
        "source": {"topic": at.topic, "partition": at.partition, "offset": at.offset},
        "key_b64": _b64(key),
        "value_b64": _b64(value),
        "at": (now or datetime.now(UTC)).isoformat(),
    }


def alert_record(
    alert: Alert,
    at: Coordinates | None,
    key: bytes | None,
    value: bytes | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A business alert (ineligible class, deleted after sync, unmapped code) with its cause."""
    return {
        "kind": "ALERT",
        **alert.to_json(),
        "source": None
        if at is None
        else {"topic": at.topic, "partition": at.partition, "offset": at.offset},
        "key_b64": _b64(key),
        "value_b64": _b64(value),
        "at": (now or datetime.now(UTC)).isoformat(),
    }


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, default=str).encode()
