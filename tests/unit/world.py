"""An in-memory run of the whole topology over the pure core: the orders reducer, the reference
agents and one hub per account, wired like the Faust agents (FIFO, answers after the event that
subscribed). Tests speak Siebel (rows written, deleted) and read CC&B (commands, alerts)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streams.core import wire
from streams.core.codes import CodeMaps
from streams.core.debezium import ChangeEvent, SourcePosition
from streams.core.events import Alert, HubEvent, RowEvent, Seed, Subscription
from streams.core.orders import OrderState, apply_order_row
from streams.core.reducer import HubContext, reduce
from streams.core.references import ReferenceState, apply_row, apply_subscription
from streams.core.routing import route
from streams.core.source_config import SourceConfig
from streams.core.state import CustomerState

CODES = CodeMaps.load()
SOURCE = SourceConfig.load()
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
_OWNED = ("party_link", "address_link", "billing_profile", "statement_profile")


def position(table: str = "s_org_ext", lsn: int = 1000) -> SourcePosition:
    return SourcePosition(
        "postgresql", "siebel", "siebel", table, lsn, None, "777", 1_795_000_000_000, False
    )


@dataclass
class World:
    ctx: HubContext = field(default_factory=lambda: HubContext(codes=CODES))
    hubs: dict[str, CustomerState] = field(default_factory=dict)
    orders: dict[str, OrderState] = field(default_factory=dict)
    refs: dict[tuple[str, str], ReferenceState] = field(default_factory=dict)
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # Siebel now
    commands: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    # every routed message, as the internal topics hold them: `replay` delivers them again
    delivered: list[tuple[str, str, str, str, Any, SourcePosition]] = field(default_factory=list)
    _lsn: int = 1000  # each change is later in the database log than the one before
    _queue: deque[tuple[str, HubEvent]] = field(default_factory=deque)

    # --- Siebel side -------------------------------------------------------------------------
    def write(self, entity: str, row: dict[str, Any]) -> None:
        """Insert or update a row (logical column names)."""
        self._change(entity, str(row["row_id"]), row)

    def delete(self, entity: str, row_id: str) -> None:
        self._change(entity, row_id, None)

    def seed(self, account_id: str, sequence: int = 1, ccb_account_id: str | None = None) -> None:
        person = f"P-{ccb_account_id}" if ccb_account_id else None
        self._hub(account_id, Seed(sequence, ccb_account_id, person))

    def _change(self, entity: str, row_id: str, row: dict[str, Any] | None) -> None:
        """Through the real normaliser: a Debezium change with the row's previous image as
        `before`, re-keyed by `route` exactly as the normalise agent does."""
        table = SOURCE.tables[entity]
        before = self.rows.get((entity, row_id))
        if row is None and before is None:
            return  # deleting what never existed: Debezium would emit nothing
        op = "d" if row is None else ("u" if before else "c")
        self._lsn += 8
        change = ChangeEvent(table, op, {"row_id": row_id}, before, row, position(table, self._lsn))  # type: ignore[arg-type]
        if row is None:
            self.rows.pop((entity, row_id), None)
        else:
            self.rows[(entity, row_id)] = row
        for r in route(change, SOURCE):
            self._deliver(r.agent, r.key, r.entity, r.row_id, r.row, change.source)

    def replay(self, start: int = 0, stop: int | None = None) -> None:
        """Deliver the routed messages [start, stop) again: what a consumer does after a crash
        under at-least-once, or a replay from an earlier offset."""
        for message in self.delivered[start:stop]:
            self._deliver(*message, log=False)

    def _deliver(
        self,
        agent: str,
        key: str,
        entity: str,
        row_id: str,
        row: Any,
        src: SourcePosition,
        *,
        log: bool = True,
    ) -> None:
        if log:
            self.delivered.append((agent, key, entity, row_id, row, src))
        # every message goes through its wire form (streams/core/wire.py), as between agents
        if agent == "hub":
            self._hub(key, RowEvent(entity, row_id, row, src))
        elif agent == "orders":
            msg = wire.decode_order(wire.encode_order(wire.OrderRow(entity, row_id, row, src)))
            order_state, requests = apply_order_row(
                self.orders.get(key, OrderState()), msg.entity, msg.row_id, msg.row, msg.source
            )
            self.orders[key] = order_state
            for account, request in requests:
                self._hub(account, request)
        else:
            sent = wire.encode_ref(wire.RefRow(entity, key, row, src))
            got = wire.decode_ref(wire.ref_key(entity, key), sent)
            assert isinstance(got, wire.RefRow)
            ref = (got.entity, got.row_id)
            state, answers = apply_row(
                self.refs.get(ref, ReferenceState()), got.entity, got.row_id, got.row, got.source
            )
            self.refs[ref] = state
            for account, answer in answers:
                self._hub(account, answer)

    # --- the topology ------------------------------------------------------------------------
    def _hub(self, account_id: str, event: HubEvent) -> None:
        self._queue.append((account_id, event))
        if len(self._queue) > 1:
            return  # already draining
        while self._queue:
            account, sent = self._queue[0]
            ev = wire.decode_hub(wire.encode_hub(sent))
            outcome = reduce(account, self.hubs.get(account, CustomerState()), ev, self.ctx, NOW)
            self.hubs[account] = outcome.state
            self.commands += outcome.commands
            self.alerts += outcome.alerts
            for sent_sub in outcome.subscriptions:
                key = (sent_sub.entity, sent_sub.ref_id)
                sub = wire.decode_ref(wire.ref_key(*key), wire.encode_ref(sent_sub))
                assert isinstance(sub, Subscription)
                state, answers = apply_subscription(self.refs.get(key, ReferenceState()), sub)
                self.refs[key] = state
                self._queue.extend(answers)
            self._queue.popleft()

    # --- CC&B side ---------------------------------------------------------------------------
    def commands_for(self, account_id: str) -> list[dict[str, Any]]:
        return [c for c in self.commands if c["siebel_account_id"] == account_id]

    def take(self) -> list[dict[str, Any]]:
        """Commands since the last take."""
        taken, self.commands = self.commands, []
        return taken
