"""Normalisation and re-keying (DESIGN §5.1): a Debezium change → the agent messages it feeds.

Each Siebel table goes to the agent that owns it, keyed the way that agent is partitioned:
accounts and account-owned rows to the customer hub by billing-account id, contacts and
addresses to their reference agents by their own id, orders and lines to the orders agent by
order id. A row whose owner changed (a profile moved to another account) is removed from the old
owner and added to the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streams.core.debezium import ChangeEvent
from streams.core.siebel import MODELS
from streams.core.source_config import SourceConfig

# Which column of an owned row names the hub key.
OWNER_COLUMN = {
    "account": "row_id",
    "party_link": "party_id",
    "address_link": "accnt_id",
    "billing_profile": "accnt_id",
    "statement_profile": "accnt_id",
    "order": "row_id",
    "order_line": "order_id",
    "contact": "row_id",
    "address": "row_id",
}
AGENT = {
    "account": "hub",
    "party_link": "hub",
    "address_link": "hub",
    "billing_profile": "hub",
    "statement_profile": "hub",
    "order": "orders",
    "order_line": "orders",
    "contact": "contacts",
    "address": "addresses",
}


@dataclass(frozen=True)
class Routed:
    """One message for one agent: `row` in logical names, None for a delete / move-away."""

    agent: str
    key: str
    entity: str
    row_id: str
    row: dict[str, Any] | None


def route(event: ChangeEvent, config: SourceConfig) -> list[Routed]:
    """Raises MappingError (via the row model) when a required column is missing."""
    entity = config.entity_of(event.table)
    if entity is None:
        return []
    model = MODELS[entity]
    owner = OWNER_COLUMN[entity]
    after = model.row_json(event.after, config) if event.after is not None else None
    before = model.row_json(event.before, config) if event.before is not None else None
    row = after if not event.is_delete else None
    current = after if after is not None else before
    assert current is not None  # parse_envelope guarantees one of them
    row_id = str(current["row_id"])
    routed = []
    old_owner = before.get(owner) if before else None
    new_owner = after.get(owner) if after and not event.is_delete else None
    if old_owner and old_owner != new_owner:
        routed.append(Routed(AGENT[entity], str(old_owner), entity, row_id, None))
    if new_owner:
        routed.append(Routed(AGENT[entity], str(new_owner), entity, row_id, row))
    return routed
