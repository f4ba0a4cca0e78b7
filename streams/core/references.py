"""Reference agents for shared rows (contacts, addresses): the subscription side of the
foreign-key join (DESIGN §5.3). Keyed by the contact/address id; state is the latest row and the
accounts subscribed to it. Each subscription is answered at once with the current row (None if
Siebel has none yet), and each later change of the row is answered to every subscriber.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from streams.core.debezium import SourcePosition, is_stale
from streams.core.events import Answer, Subscription


@dataclass(frozen=True)
class ReferenceState:
    row: Mapping[str, Any] | None = None
    subscribers: frozenset[str] = frozenset()
    source: SourcePosition | None = None  # of the row's last change, passed on with answers

    def to_json(self) -> dict[str, Any]:
        return {
            "row": dict(self.row) if self.row else None,
            "subscribers": sorted(self.subscribers),
            "source": self.source.to_json() if self.source else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferenceState:
        source = data.get("source")
        return cls(
            row=data.get("row"),
            subscribers=frozenset(data.get("subscribers", ())),
            source=SourcePosition.from_json(source) if source else None,
        )


def apply_row(
    state: ReferenceState,
    entity: str,
    ref_id: str,
    row: Mapping[str, Any] | None,
    source: SourcePosition | None,
) -> tuple[ReferenceState, list[tuple[str, Answer]]]:
    """A contact/address changed (None: deleted): answer every subscribed account."""
    if is_stale(source, state.source.log_position if state.source else None):
        return state, []  # R9: reprocessed; answering it would overwrite a newer row
    if row == state.row:
        return state, []  # nothing CC&B-relevant can have changed
    answers = [(acct, Answer(entity, ref_id, row, source)) for acct in sorted(state.subscribers)]
    return replace(state, row=row, source=source), answers


def apply_subscription(
    state: ReferenceState, sub: Subscription
) -> tuple[ReferenceState, list[tuple[str, Answer]]]:
    if not sub.active:
        return replace(state, subscribers=state.subscribers - {sub.account_id}), []
    answer = Answer(sub.entity, sub.ref_id, state.row, state.source)
    return replace(state, subscribers=state.subscribers | {sub.account_id}), [
        (sub.account_id, answer)
    ]
