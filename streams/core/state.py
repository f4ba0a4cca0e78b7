"""A billing account's state in the hub: its Siebel rows (the aggregate) and where its sync to
CC&B stands — the value of the hub table (JSON), read by the reducer and the web views."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.core.aggregate import Aggregate

COMMAND_NAMESPACE = uuid.UUID("6f1b7c1e-3d5a-5e7f-9a0b-2c4d6e8f0a1b")


def command_id(account_id: str, sequence: int) -> str:
    """Deterministic (R9): the same account and sequence always give the same id."""
    return str(uuid.uuid5(COMMAND_NAMESPACE, f"{account_id}/{sequence}"))


@dataclass(frozen=True)
class SyncState:
    synced: bool = False
    sequence: int = 0
    digests: Mapping[str, str] | None = None  # per section, of the last emitted payload
    held: Mapping[str, Any] | None = None  # the trigger of a create that waits (R7)
    deleted: bool = False
    # order id → trigger, for every order that bills the account in a trigger status while its
    # create waits; the create is withdrawn when the last one goes (R2)
    requests: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # alert reason → what it last said: a failure that persists is alerted once, not per event
    alerted: Mapping[str, str] = field(default_factory=dict)
    # what CC&B fixed at the customer's first payload and later payloads keep: the CIS division
    # (a move to another state does not move an existing account to another division)
    fixed: Mapping[str, str] = field(default_factory=dict)
    held_since: str | None = None  # ISO time the create started to wait (R7)

    def to_json(self) -> dict[str, Any]:
        return {
            "synced": self.synced,
            "sequence": self.sequence,
            "digests": dict(self.digests) if self.digests is not None else None,
            "held": dict(self.held) if self.held is not None else None,
            "deleted": self.deleted,
            "requests": {k: dict(v) for k, v in self.requests.items()},
            "alerted": dict(self.alerted),
            "fixed": dict(self.fixed),
            "held_since": self.held_since,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class CustomerState:
    aggregate: Aggregate = field(default_factory=Aggregate)
    sync: SyncState = field(default_factory=SyncState)

    def to_json(self) -> dict[str, Any]:
        return {"aggregate": self.aggregate.to_json(), "sync": self.sync.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CustomerState:
        return cls(Aggregate.from_json(data["aggregate"]), SyncState.from_json(data["sync"]))
