"""Messages between the agents and what the hub emits besides commands, all JSON-serialisable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.core.debezium import SourcePosition


def _source(data: Mapping[str, Any] | None) -> SourcePosition | None:
    return SourcePosition.from_json(data) if data else None


@dataclass(frozen=True)
class RowEvent:
    """An account row, or a row the account owns (link, billing or statement profile).

    `row` uses the product's logical column names; None means the row was deleted (or moved to
    another account).
    """

    entity: str
    row_id: str
    row: Mapping[str, Any] | None
    source: SourcePosition | None = None

    kind = "row"


@dataclass(frozen=True)
class Answer:
    """A reference agent's answer: a contact or address row (None: it does not exist)."""

    entity: str
    ref_id: str
    row: Mapping[str, Any] | None
    source: SourcePosition | None = None

    kind = "answer"


@dataclass(frozen=True)
class SyncRequest:
    """The orders agent's word that an order in a trigger status bills this account (R2)."""

    order_id: str
    order_num: str | None
    line_ids: tuple[str, ...]
    source: SourcePosition | None = None

    kind = "sync_request"


@dataclass(frozen=True)
class SyncWithdrawal:
    """The orders agent's word that an order no longer bills this account in a trigger status
    (cancelled, its line deleted or re-pointed): a create still held for it is withdrawn (R2)."""

    order_id: str
    order_num: str | None
    source: SourcePosition | None = None

    kind = "sync_withdrawal"


@dataclass(frozen=True)
class HeldCheck:
    """A timer's question to the hub: is this account's create held longer than `max_age_s`?
    Sent as an event so the answer (one CREATE_HELD_TOO_LONG alert) is exactly-once too."""

    max_age_s: float
    at: str  # ISO time of the check

    kind = "held_check"


@dataclass(frozen=True)
class Resend:
    """An operator's request (`faust -A streams.app resend`): send a synced account's current
    state again, every section, as an update with the next sequence (never for one not synced:
    a customer is created only through an order, R2)."""

    at: str  # ISO time of the request
    reason: str = ""

    kind = "resend"


@dataclass(frozen=True)
class Seed:
    """Bootstrap (R12): the account already exists in CC&B; its last command had `sequence`,
    and CC&B knows it as `ccb_account_id` / `ccb_person_id` (sent in every later command)."""

    sequence: int = 1
    ccb_account_id: str | None = None
    ccb_person_id: str | None = None

    kind = "seed"


HubEvent = RowEvent | Answer | SyncRequest | SyncWithdrawal | HeldCheck | Seed | Resend


def hub_event_to_json(event: HubEvent) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": event.kind}
    if isinstance(event, Seed):
        return body | {
            "sequence": event.sequence,
            "ccb_account_id": event.ccb_account_id,
            "ccb_person_id": event.ccb_person_id,
        }
    if isinstance(event, HeldCheck):
        return body | {"max_age_s": event.max_age_s, "at": event.at}
    if isinstance(event, Resend):
        return body | {"at": event.at, "reason": event.reason}
    if isinstance(event, SyncRequest):
        body |= {
            "order_id": event.order_id,
            "order_num": event.order_num,
            "line_ids": list(event.line_ids),
        }
    elif isinstance(event, SyncWithdrawal):
        body |= {"order_id": event.order_id, "order_num": event.order_num}
    elif isinstance(event, RowEvent):
        body |= {"entity": event.entity, "row_id": event.row_id, "row": event.row}
    else:
        body |= {"entity": event.entity, "ref_id": event.ref_id, "row": event.row}
    return body | {"source": event.source.to_json() if event.source else None}


def hub_event_from_json(data: Mapping[str, Any]) -> HubEvent:
    kind = data.get("kind")
    if kind == "seed":
        return Seed(
            sequence=int(data.get("sequence", 1)),
            ccb_account_id=data.get("ccb_account_id"),
            ccb_person_id=data.get("ccb_person_id"),
        )
    if kind == "held_check":
        return HeldCheck(float(data["max_age_s"]), str(data["at"]))
    if kind == "resend":
        return Resend(str(data["at"]), str(data.get("reason", "")))
    source = _source(data.get("source"))
    if kind == "sync_request":
        return SyncRequest(
            data["order_id"], data.get("order_num"), tuple(data.get("line_ids", ())), source
        )
    if kind == "sync_withdrawal":
        return SyncWithdrawal(data["order_id"], data.get("order_num"), source)
    if kind == "row":
        return RowEvent(data["entity"], data["row_id"], data.get("row"), source)
    if kind == "answer":
        return Answer(data["entity"], data["ref_id"], data.get("row"), source)
    raise ValueError(f"unknown hub event kind {kind!r}")


@dataclass(frozen=True)
class Subscription:
    """An account starts (active) or stops referencing a shared contact or address."""

    entity: str
    ref_id: str
    account_id: str
    active: bool


@dataclass(frozen=True)
class Alert:
    """A record for the alerts/dead-letter topic: never a command, always a reason code."""

    reason: str
    account_id: str
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "account_id": self.account_id,
            "message": self.message,
            "detail": dict(self.detail),
        }
