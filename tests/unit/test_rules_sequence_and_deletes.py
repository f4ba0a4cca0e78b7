"""R8 (per-customer order), R9 (idempotency) and R10 (deletes)."""

from __future__ import annotations

import pytest

from streams.core.events import RowEvent, SyncRequest
from streams.core.reducer import reduce
from streams.core.state import CustomerState, command_id
from tests.unit import siebel_rows as s
from tests.unit.world import NOW, World, position

ACCT = "1-4MS-3423"


@pytest.fixture
def synced() -> World:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("statement_profile", s.statement_profile())
    world.write("contact", s.contact("1-CON-2", fst_name="Ada", last_name="Byron"))
    world.write("address", s.address("1-ADR-2", addr="5 Copy Street"))
    world.write("party_link", s.party_link("1-PP-1", ACCT, "1-CON-3"))
    world.write("contact", s.contact("1-CON-3", fst_name="Alan", last_name="Turing"))
    s.submit_order(world, ACCT)
    return world


def test_r8_sequence_starts_at_one_with_the_create_and_grows_by_one(synced: World) -> None:
    for n in range(4):
        synced.write("contact", s.contact(cell_ph_num=f"+1 217 555 02{n:02}"))
    commands = synced.commands_for(ACCT)
    assert [c["sequence"] for c in commands] == [1, 2, 3, 4, 5]
    assert commands[0]["command_type"] == "CREATE_CUSTOMER"
    assert {c["siebel_account_id"] for c in commands} == {ACCT}


def test_r8_no_update_before_the_create() -> None:
    world = World()
    s.submit_order(world, ACCT)
    world.write("billing_profile", s.billing_profile(accnt_id=ACCT))
    world.write("account", s.account(ACCT))
    world.write("account", s.account(ACCT, name="x"))
    world.write("contact", s.contact())
    world.write("contact", s.contact(last_name="Other"))
    world.write("address", s.address())
    world.write("address", s.address(zipcode="62702"))
    assert [c["command_type"] for c in world.commands] == ["CREATE_CUSTOMER", "UPDATE_CUSTOMER"]


def test_r9_command_id_is_derived_from_account_and_sequence() -> None:
    assert command_id(ACCT, 1) == command_id(ACCT, 1)
    assert command_id(ACCT, 1) != command_id(ACCT, 2)
    assert command_id(ACCT, 1) != command_id("1-OTHER", 1)
    assert command_id(ACCT, 1) == "b1e5e19e-b77e-5f46-8947-36819b12054b"  # stable across releases


def test_r9_reprocessing_an_event_from_the_same_state_gives_the_same_command(
    synced: World,
) -> None:
    state = synced.hubs[ACCT]
    later = position(lsn=10**9)  # after everything the fixture wrote
    event = RowEvent("account", ACCT, s.account(ACCT, ou_type_cd="Business"), later)
    first = reduce(ACCT, state, event, synced.ctx, NOW)
    again = reduce(ACCT, state, event, synced.ctx, NOW)
    assert first.commands == again.commands
    assert len(first.commands) == 1
    # ... and applying it on top of its own result yields nothing new
    assert reduce(ACCT, first.state, event, synced.ctx, NOW).commands == []


def test_r9_an_older_change_of_a_row_replayed_after_a_newer_one_is_skipped(
    synced: World,
) -> None:
    """At-least-once after a crash, or a replay: the state already holds the newer change, so
    the older one would send CC&B stale data under a new sequence."""
    synced.take()
    mark = len(synced.delivered)
    for name in ("Hopper Household 1", "Hopper Household 2"):
        synced.write("account", s.account(ACCT, ou_type_cd="Business", name=name))
    updates = synced.take()
    assert [c["customer"]["person"]["entity_name"] for c in updates] == [
        "Hopper Household 1",
        "Hopper Household 2",
    ]
    before = synced.hubs[ACCT]
    synced.replay(mark)
    assert synced.take() == []
    assert synced.hubs[ACCT] == before


@pytest.mark.parametrize("entity", ["contact", "address"])
def test_r9_a_replayed_older_change_of_a_shared_row_answers_nobody(
    synced: World, entity: str
) -> None:
    ref_id = synced.hubs[ACCT].aggregate.account.pr_con_id if entity == "contact" else None  # type: ignore[union-attr]
    ref_id = ref_id or synced.hubs[ACCT].aggregate.mailing_address_id()
    assert ref_id
    synced.take()
    mark = len(synced.delivered)
    row = dict(synced.rows[(entity, ref_id)])
    for n in (1, 2):
        field = "last_name" if entity == "contact" else "zipcode"
        synced.write(entity, {**row, field: f"6299{n}" if entity == "address" else f"Hopper{n}"})
    assert len(synced.take()) == 2
    ref_state = synced.refs[(entity, ref_id)]
    synced.replay(mark)
    assert synced.take() == []
    assert synced.refs[(entity, ref_id)] == ref_state


def test_r9_a_replayed_older_order_line_requests_nothing() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    mark = len(world.delivered)
    s.submit_order(world, ACCT)
    submitted = len(world.delivered)
    world.delete("order_line", "1-ORD-1-L1")
    assert len(world.commands_for(ACCT)) == 1
    orders = dict(world.orders)
    world.replay(mark, submitted)  # the header and the line's insert, older than its delete
    assert world.orders == orders
    assert len(world.commands_for(ACCT)) == 1


def test_r9_a_replayed_sync_request_never_creates_twice(synced: World) -> None:
    request = SyncRequest("1-ORD-1", "SO-1", ("1-ORD-1-L1",), position("s_order_item"))
    outcome = reduce(ACCT, synced.hubs[ACCT], request, synced.ctx, NOW)
    assert outcome.commands == []


def test_r10_deleting_a_synced_account_alerts_and_sends_nothing(synced: World) -> None:
    synced.take()
    synced.delete("account", ACCT)
    assert synced.take() == []
    (alert,) = synced.alerts
    assert alert.reason == "ACCOUNT_DELETED_AFTER_SYNC"
    synced.write("contact", s.contact(last_name="After Delete"))
    assert synced.take() == []


def test_r10_deleting_a_prospect_forgets_it_without_alert() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.delete("account", ACCT)
    assert world.take() == []
    assert world.alerts == []
    assert world.hubs[ACCT].aggregate.account is None


def test_r10_removing_a_contact_link_yields_an_update_without_it(synced: World) -> None:
    synced.take()
    synced.delete("party_link", "1-PP-1")
    (update,) = synced.take()
    assert update["changed_sections"] == ["CONTACTS"]
    assert update["customer"]["person"]["contacts"] == []


def test_r10_end_dating_a_contact_link_counts_as_removal(synced: World) -> None:
    synced.take()
    synced.write("party_link", s.party_link("1-PP-1", ACCT, "1-CON-3", end_dt="2026-11-30"))
    (update,) = synced.take()
    assert update["customer"]["person"]["contacts"] == []


def test_r10_removing_a_statement_profile_removes_its_recipient(synced: World) -> None:
    synced.take()
    synced.delete("statement_profile", "1-SP-1")
    (update,) = synced.take()
    assert update["changed_sections"] == ["STATEMENT_RECIPIENTS"]
    assert [p["role"] for p in update["customer"]["account_persons"]] == ["MAIN"]


def test_r10_deleting_the_mailing_address_is_one_alert_not_a_null_address(synced: World) -> None:
    synced.take()
    synced.delete("address", "1-ADR-1")
    synced.write("contact", s.contact(last_name="Brewster"))  # another change meanwhile
    assert synced.take() == []  # CC&B keeps the last address rather than get none
    assert [a.reason for a in synced.alerts] == ["MAPPING_FAILED"]
    assert "no mailing address" in synced.alerts[0].message
    synced.write("address", s.address("1-ADR-1", addr="9 New Road"))
    (update,) = synced.take()
    assert update["customer"]["person"]["mailing_address"]["address1"] == "9 New Road"
    assert update["customer"]["person"]["entity_name"] == "Brewster,Grace"


def test_r5_the_cis_division_is_set_at_create_and_kept(synced: World) -> None:
    (create,) = synced.take()
    division = create["customer"]["account"]["cis_division"]
    synced.write("address", s.address(state="WI"))
    (update,) = synced.take()
    assert update["customer"]["account"]["cis_division"] == division == "IL"
    assert update["changed_sections"] == ["MAILING_ADDRESS"]


def test_r10_a_profile_moved_to_another_account_leaves_the_first(synced: World) -> None:
    synced.take()
    synced.write("statement_profile", s.statement_profile(accnt_id="1-ELSEWHERE"))
    (update,) = synced.take()
    assert update["siebel_account_id"] == ACCT
    assert len(update["customer"]["account_persons"]) == 1


def test_state_round_trips_through_json(synced: World) -> None:
    state = synced.hubs[ACCT]
    assert CustomerState.from_json(state.to_json()) == state
