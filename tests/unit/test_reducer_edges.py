"""R14 through the reducer (unmapped codes alert, never default), late answers, and the JSON
form of every message and state the agents keep in Kafka."""

from __future__ import annotations

import pytest

from streams.core.events import (
    Answer,
    HubEvent,
    RowEvent,
    Seed,
    SyncRequest,
    SyncWithdrawal,
    hub_event_from_json,
    hub_event_to_json,
)
from streams.core.orders import OrderState
from streams.core.reducer import encoding_failed, held_reason, reduce
from streams.core.references import ReferenceState
from streams.core.state import CustomerState
from tests.unit import siebel_rows as s
from tests.unit.world import NOW, World, position

ACCT = "1-4MS-3423"


def test_r14_unmapped_code_on_a_synced_customer_alerts_and_sends_nothing_until_fixed() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    world.take()
    world.write("billing_profile", s.billing_profile(bill_media="Carrier Pigeon"))
    assert world.take() == []
    (alert,) = world.alerts
    assert alert.reason == "MAPPING_FAILED"
    assert "'Carrier Pigeon'" in alert.message
    world.write("billing_profile", s.billing_profile(bill_media="Email"))
    (update,) = world.take()
    assert update["sequence"] == 2
    assert update["changed_sections"] == ["BILLING"]


def test_r14_unmapped_code_keeps_a_create_held_with_the_reason_visible() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("account", s.account(ACCT, ou_type_cd="Martian"))
    s.submit_order(world, ACCT)
    assert world.take() == []
    assert world.alerts[0].reason == "MAPPING_FAILED"
    assert "Martian" in held_reason(world.hubs[ACCT], world.ctx)[0]
    world.write("account", s.account(ACCT))
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_an_answer_for_a_reference_no_longer_held_is_ignored() -> None:
    state = CustomerState()
    outcome = reduce(
        ACCT, state, Answer("contact", "1-CON-X", s.contact("1-CON-X")), World().ctx, NOW
    )
    assert outcome.state == state
    assert outcome.commands == outcome.alerts == outcome.subscriptions == []


def test_held_reason_of_a_complete_but_unsynced_state_and_of_no_hold() -> None:
    world = World()
    assert held_reason(CustomerState(), world.ctx) == []
    s.submit_order(world, ACCT)
    assert held_reason(world.hubs[ACCT], world.ctx) == ["account row"]


def test_hub_events_round_trip_through_json() -> None:
    events: list[HubEvent] = [
        RowEvent("account", ACCT, s.account(ACCT), position()),
        RowEvent("billing_profile", "1-BP-1", None, None),
        Answer("address", "1-ADR-1", s.address(), position("s_addr_per")),
        SyncRequest("1-ORD-1", "SO-1", ("1-L-1", "1-L-2"), position("s_order_item")),
        SyncWithdrawal("1-ORD-1", "SO-1", position("s_order")),
        Seed(3),
    ]
    for event in events:
        assert hub_event_from_json(hub_event_to_json(event)) == event


def test_unknown_hub_event_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="bogus"):
        hub_event_from_json({"kind": "bogus"})


def test_order_and_reference_states_round_trip_through_json() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    for order_state in world.orders.values():
        assert OrderState.from_json(order_state.to_json()) == order_state
    assert world.refs
    for ref_state in world.refs.values():
        assert ReferenceState.from_json(ref_state.to_json()) == ref_state


def test_r8_a_command_that_cannot_be_encoded_keeps_the_change_and_leaves_no_gap() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    world.take()
    before = world.hubs[ACCT]
    event = Answer(
        "contact", "1-CON-1", s.contact(last_name="Brewster"), position("s_contact", 10**6)
    )
    outcome = reduce(ACCT, before, event, world.ctx, NOW)
    assert [c["sequence"] for c in outcome.commands] == [2]
    failed = encoding_failed(ACCT, before, outcome, "'phones' is not a list")
    assert failed.commands == []
    assert [a.reason for a in failed.alerts] == ["ENCODING_FAILED"]
    assert failed.state.sync == before.sync  # sequence 2 is still free
    kept = failed.state.aggregate.contacts["1-CON-1"]
    assert kept is not None
    assert kept.last_name == "Brewster"  # the Siebel change is kept
    later = RowEvent("account", ACCT, s.account(ACCT, name="x"), position("s_org_ext", 10**6 + 8))
    retry = reduce(ACCT, failed.state, later, world.ctx, NOW)
    ((command,),) = [retry.commands]
    assert command["sequence"] == 2
    assert command["customer"]["person"]["entity_name"] == "Brewster,Grace"
