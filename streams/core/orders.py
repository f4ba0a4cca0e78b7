"""The orders reducer (R2): order header + lines → sync requests for their billing accounts.

Keyed by order id. A request goes out once per (order, billing account) when the header is in a
trigger status; a line added later to an order already in a trigger status triggers its account
too. When an account leaves the order's trigger set — the order cancelled or back to a draft, its
last line for the account deleted or re-pointed — a withdrawal goes out, and the hub drops a
create it still holds for that order (once sent, a create is never withdrawn). The hub ignores
requests for accounts already synced (R13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from streams.core.debezium import SourcePosition, is_stale, row_key, with_position
from streams.core.events import SyncRequest, SyncWithdrawal
from streams.core.siebel import Order, OrderLine

DEFAULT_TRIGGER_STATUSES = frozenset({"Submitted", "Open"})


@dataclass(frozen=True)
class OrderState:
    header: Order | None = None
    lines: Mapping[str, OrderLine] = field(default_factory=dict)
    requested: frozenset[str] = frozenset()  # billing accounts the order triggers now
    # "<entity>/<row id>" → log position of the last change applied (R9, as in the hub)
    positions: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "header": self.header.to_json() if self.header else None,
            "lines": {k: v.to_json() for k, v in self.lines.items()},
            "requested": sorted(self.requested),
            "positions": dict(self.positions),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderState:
        return cls(
            header=Order.from_json(data["header"]) if data.get("header") else None,
            lines={k: OrderLine.from_json(v) for k, v in data.get("lines", {}).items()},
            requested=frozenset(data.get("requested", ())),
            positions={k: int(v) for k, v in data.get("positions", {}).items()},
        )


def apply_order_row(
    state: OrderState,
    entity: str,
    row_id: str,
    row: Mapping[str, Any] | None,
    source: SourcePosition | None,
    trigger_statuses: frozenset[str] = DEFAULT_TRIGGER_STATUSES,
) -> tuple[OrderState, list[tuple[str, SyncRequest | SyncWithdrawal]]]:
    """Apply a header or line change; return the new state and (billing account, request or
    withdrawal)s, for the accounts that entered or left the order's trigger set."""
    if is_stale(source, state.positions.get(row_key(entity, row_id))):
        return state, []  # R9: reprocessed
    state = replace(state, positions=with_position(state.positions, entity, row_id, source))
    if entity == "order":
        state = replace(state, header=Order.from_json(row) if row is not None else None)
    else:
        lines = dict(state.lines)
        if row is None:
            lines.pop(row_id, None)
        else:
            lines[row_id] = OrderLine.from_json(row)
        state = replace(state, lines=lines)
    triggered = _trigger_set(state, trigger_statuses)
    header = state.header
    order_id = header.row_id if header else row_id
    order_num = header.order_num if header else None
    events: list[tuple[str, SyncRequest | SyncWithdrawal]] = [
        (account, SyncRequest(order_id, order_num, tuple(lines), source))
        for account, lines in sorted(triggered.items())
        if account not in state.requested
    ]
    events += [
        (account, SyncWithdrawal(order_id, order_num, source))
        for account in sorted(state.requested - triggered.keys())
    ]
    return replace(state, requested=frozenset(triggered)), events


def _trigger_set(state: OrderState, trigger_statuses: frozenset[str]) -> dict[str, list[str]]:
    """Billing account → the order's lines that name it, while the header triggers (R2)."""
    header = state.header
    if header is None or header.status_cd not in trigger_statuses:
        return {}
    by_account: dict[str, list[str]] = {}
    for line_id, line in sorted(state.lines.items()):
        # The line's billing account, falling back to the header's when the line has none.
        account = line.bill_accnt_id or header.bill_accnt_id
        if account:
            by_account.setdefault(account, []).append(line_id)
    return by_account
