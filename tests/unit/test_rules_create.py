"""R3 (eligibility), R4 (prospects never reach CC&B), R7 (completeness gate), R12 (seeding)."""

from __future__ import annotations

import pytest

from streams.core.reducer import held_reason
from tests.unit import siebel_rows as s
from tests.unit.world import World

ACCT = "1-4MS-3423"


@pytest.mark.parametrize("account_class", ["Service", "Billing Aggregator", None])
def test_r3_ineligible_account_class_creates_nothing_and_alerts(account_class: str | None) -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("account", s.account(ACCT, accnt_type_cd=account_class))
    s.submit_order(world, ACCT)
    assert world.take() == []
    (alert,) = world.alerts
    assert alert.reason == "INELIGIBLE_ACCOUNT_CLASS"
    assert alert.account_id == ACCT
    assert alert.detail["trigger"]["order_id"] == "1-ORD-1"


@pytest.mark.parametrize("account_class", ["Customer", "Billing"])
def test_r3_eligible_classes_create(account_class: str) -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("account", s.account(ACCT, accnt_type_cd=account_class))
    s.submit_order(world, ACCT)
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_r4_prospect_updates_emit_nothing() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    for n in range(5):
        world.write("account", s.account(ACCT, name=f"Hopper {n}"))
        world.write("contact", s.contact(cell_ph_num=f"+1 217 555 01{n:02}"))
        world.write("address", s.address(zipcode=f"6270{n}"))
        world.write("billing_profile", s.billing_profile(bill_media="Email"))
        world.write("statement_profile", s.statement_profile(copies=n + 1))
    world.delete("statement_profile", "1-SP-1")
    assert world.take() == []
    assert world.alerts == []


def test_r4_prospect_keeps_latest_state_so_a_later_order_creates_with_current_data() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("contact", s.contact(last_name="Hopper-Murray"))
    world.write("address", s.address(addr="99 Meter Road"))
    s.submit_order(world, ACCT)
    (create,) = world.take()
    assert create["customer"]["person"]["entity_name"] == "Hopper-Murray,Grace"
    assert create["customer"]["person"]["mailing_address"]["address1"] == "99 Meter Road"


def test_r7_create_waits_for_account_name_source_and_mailing_address() -> None:
    world = World()
    s.submit_order(world, ACCT)  # the order line arrives before anything else
    assert world.take() == []
    assert held_reason(world.hubs[ACCT], world.ctx) == ["account row"]
    world.write("account", s.account(ACCT))
    assert world.take() == []
    assert held_reason(world.hubs[ACCT], world.ctx) == [
        "primary contact (name of a residential customer)",
        "mailing address",
        "billing profile 1-BP-1 (PR_BILL_PRFL_ID)",
    ]
    world.write("contact", s.contact())
    assert world.take() == []
    world.write("address", s.address())
    assert world.take() == []  # no create without its bill cycle, route and format
    world.write("billing_profile", s.billing_profile(accnt_id=ACCT))
    (create,) = world.take()
    assert create["customer"]["account"]["bill_cycle"] is not None
    assert create["customer"]["person"]["mailing_address"]["city"] == "Springfield"
    assert held_reason(world.hubs[ACCT], world.ctx) == []


def test_r7_business_is_named_by_the_account_and_needs_no_contact() -> None:
    world = World()
    biz = "1-BIZ-77"
    world.write("account", s.business(biz, pr_con_id=None, pr_bill_prfl_id="1-BP-9"))
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=biz))
    world.write("address", s.address())
    s.submit_order(world, biz)
    (create,) = world.take()
    assert create["customer"]["person"]["entity_name"] == "Acme Bakery LLC"


def test_r7_transaction_rows_in_any_order_yield_one_complete_create() -> None:
    world = World()
    # One Siebel transaction, delivered line first, profiles before the account.
    s.submit_order(world, ACCT)
    world.write("statement_profile", s.statement_profile())
    world.write("billing_profile", s.billing_profile())
    world.write("account", s.account(ACCT))
    world.write("address", s.address("1-ADR-2", addr="5 Copy Street"))
    world.write("contact", s.contact("1-CON-2", fst_name="Alan", last_name="Turing"))
    world.write("address", s.address())
    assert world.take() == []  # primary contact still missing
    world.write("contact", s.contact())
    (create,) = world.take()
    copy = create["customer"]["account_persons"][1]
    assert copy["entity_name"] == "Turing,Alan"
    assert copy["address"]["address1"] == "5 Copy Street"


def test_r7_create_waits_for_every_referenced_row_to_be_answered() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    # a bill copy for a contact and an address Siebel has not written yet (same transaction)
    world.write(
        "statement_profile", s.statement_profile(contact_id="1-CON-NEW", addr_id="1-ADR-NEW")
    )
    s.submit_order(world, ACCT)
    assert world.take() == []
    assert held_reason(world.hubs[ACCT], world.ctx) == [
        "contact 1-CON-NEW (referenced, no row yet)",
        "address 1-ADR-NEW (referenced, no row yet)",
    ]
    world.write("contact", s.contact("1-CON-NEW", fst_name="Ada", last_name="Byron"))
    assert world.take() == []
    world.write("address", s.address("1-ADR-NEW", addr="5 Copy Street"))
    (create,) = world.take()
    copy = create["customer"]["account_persons"][1]
    assert (copy["entity_name"], copy["address"]["address1"]) == ("Byron,Ada", "5 Copy Street")


def test_r7_create_waits_for_the_billing_profile_pr_bill_prfl_id_names() -> None:
    world = World()
    world.write("contact", s.contact())
    world.write("address", s.address())
    world.write("account", s.account(ACCT, pr_bill_prfl_id="1-BP-7"))
    world.write("billing_profile", s.billing_profile("1-BP-1", accnt_id=ACCT))  # not that one
    s.submit_order(world, ACCT)
    assert world.take() == []
    world.write(
        "billing_profile", s.billing_profile("1-BP-7", accnt_id=ACCT, bill_cycle="Monthly-22")
    )
    (create,) = world.take()
    assert create["customer"]["account"]["bill_cycle"] is not None


def test_r7_an_inactive_billing_profile_is_not_the_primary_one() -> None:
    world = World()
    world.write("contact", s.contact())
    world.write("address", s.address())
    world.write("account", s.account(ACCT, pr_bill_prfl_id=None))
    world.write("billing_profile", s.billing_profile("1-BP-1", accnt_id=ACCT, status_cd="Inactive"))
    s.submit_order(world, ACCT)
    assert held_reason(world.hubs[ACCT], world.ctx) == ["primary billing profile"]
    world.write("billing_profile", s.billing_profile("1-BP-2", accnt_id=ACCT, status_cd="Active"))
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_r7_several_profiles_flagged_primary_raise_an_alert_naming_them() -> None:
    world = World()
    world.write("contact", s.contact())
    world.write("address", s.address())
    world.write("account", s.account(ACCT, pr_bill_prfl_id=None))
    for bp in ("1-BP-1", "1-BP-2"):
        world.write("billing_profile", s.billing_profile(bp, accnt_id=ACCT))
    s.submit_order(world, ACCT)
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]  # lowest ROW_ID
    (alert,) = world.alerts
    assert alert.reason == "AMBIGUOUS_PRIMARY_BILLING_PROFILE"
    assert alert.detail["profiles"] == ["1-BP-1", "1-BP-2"]


def test_r12_seeded_account_is_not_created_again_and_updates_from_the_next_sequence() -> None:
    world = World()
    world.seed(ACCT, sequence=4)
    world.write("billing_profile", s.billing_profile(accnt_id=ACCT))
    world.write("account", s.account(ACCT))
    world.write("contact", s.contact())
    assert world.take() == []  # no half-empty first update: the mailing address is missing
    world.write("address", s.address())
    s.submit_order(world, ACCT)
    commands = world.take()
    # CC&B has the customer already: its first full view from Siebel is an update, not a create.
    assert [c["command_type"] for c in commands] == ["UPDATE_CUSTOMER"]
    assert commands[0]["sequence"] == 5
    world.write("account", s.account(ACCT, name="renamed but unmapped for persons"))
    assert world.take() == []
    world.write("contact", s.contact(last_name="Brewster"))
    (update,) = world.take()
    assert update["sequence"] == 6
    assert update["changed_sections"] == ["PERSON"]


def test_r12_seeding_twice_or_after_sync_changes_nothing() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    world.take()
    world.seed(ACCT, sequence=1)
    world.write("contact", s.contact(last_name="Brewster"))
    assert [c["sequence"] for c in world.take()] == [2]


def test_r12_cc_and_b_ids_of_a_seeded_account_travel_in_every_update() -> None:
    world = World()
    world.seed(ACCT, sequence=2, ccb_account_id="0012345")
    s.complete_prospect(world, ACCT)
    (first,) = world.take()
    assert (first["command_type"], first["sequence"]) == ("UPDATE_CUSTOMER", 3)
    world.write("contact", s.contact(last_name="Brewster"))
    (later,) = world.take()
    for command in (first, later):
        assert (command["ccb_account_id"], command["ccb_person_id"]) == ("0012345", "P-0012345")


def test_r12_a_customer_this_product_created_has_no_cc_and_b_ids() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    (create,) = world.take()
    assert (create["ccb_account_id"], create["ccb_person_id"]) == (None, None)
