"""R5 (updates only for synced customers, only when mapped data changed) and R6 (fan-out)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.unit import siebel_rows as s
from tests.unit.world import World

ACCT = "1-4MS-3423"


@pytest.fixture
def synced() -> World:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("party_link", s.party_link("1-PP-1", ACCT, "1-CON-3"))
    world.write("contact", s.contact("1-CON-3", fst_name="Alan", last_name="Turing"))
    world.write("statement_profile", s.statement_profile())
    world.write("contact", s.contact("1-CON-2", fst_name="Ada", last_name="Byron"))
    world.write("address", s.address("1-ADR-2", addr="5 Copy Street"))
    s.submit_order(world, ACCT)
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]
    return world


EDITS: dict[str, tuple[Callable[[World], None], list[str]]] = {
    "primary contact name": (
        lambda w: w.write("contact", s.contact(last_name="Hopper-Murray")),
        ["PERSON"],
    ),
    "business name": (
        lambda w: w.write("account", s.account(ACCT, ou_type_cd="Business", name="Hopper Ltd")),
        ["PERSON", "ACCOUNT", "CONTACTS"],
    ),
    "primary address": (
        lambda w: w.write("address", s.address(addr="1 New Street")),
        ["MAILING_ADDRESS"],
    ),
    "primary address moves state (the CIS division stays the create's)": (
        lambda w: w.write("address", s.address(state="WI")),
        ["MAILING_ADDRESS"],
    ),
    "linked contact phone": (
        lambda w: w.write(
            "contact",
            s.contact(
                "1-CON-3", fst_name="Alan", last_name="Turing", work_ph_num="+1 217 555 0333"
            ),
        ),
        ["CONTACTS"],
    ),
    "own phone": (
        lambda w: w.write("contact", s.contact(cell_ph_num="+1 217 555 0777")),
        ["CONTACTS"],
    ),
    "primary billing profile media": (
        lambda w: w.write(
            "billing_profile", s.billing_profile(bill_media="Email", email_bill_to="g@example.org")
        ),
        ["BILLING"],
    ),
    "autopay": (
        lambda w: w.write(
            "billing_profile",
            s.billing_profile(
                pay_method="Auto Debit", pay_token="tok_8f3a9c", pay_holder_name="G Hopper"
            ),
        ),
        ["AUTOPAY"],
    ),
    "statement profile copies": (
        lambda w: w.write("statement_profile", s.statement_profile(copies=3)),
        ["STATEMENT_RECIPIENTS"],
    ),
    "bill-copy contact name": (
        lambda w: w.write("contact", s.contact("1-CON-2", fst_name="Ada", last_name="Lovelace")),
        ["STATEMENT_RECIPIENTS"],
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_r5_each_mapped_change_yields_one_update_naming_its_sections(
    synced: World, edit: str
) -> None:
    change, sections = EDITS[edit]
    change(synced)
    (update,) = synced.take()
    assert update["command_type"] == "UPDATE_CUSTOMER"
    assert update["changed_sections"] == sections
    assert update["sequence"] == 2
    assert update["trigger"] is None


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.write("account", s.account(ACCT, last_upd="2026-11-25")),
        lambda w: w.write("account", s.account(ACCT, x_marketing_seg="Green Energy")),
        lambda w: w.write("account", s.account(ACCT, par_ou_id="1-PARENT")),
        lambda w: w.write("account", s.account(ACCT, loc="Springfield North")),
        lambda w: w.write("contact", s.contact(birth_dt="1906-12-10")),
        lambda w: w.write("billing_profile", s.billing_profile(name="Renamed profile")),
        lambda w: w.write("address", s.address(addr_type_cd="Billing")),
        lambda w: w.write("contact", s.contact()),  # the same row again
    ],
    ids=[
        "last_upd",
        "marketing",
        "hierarchy",
        "site",
        "birth date",
        "bp name",
        "addr type",
        "same row",
    ],
)
def test_r5_unmapped_column_changes_emit_nothing(synced: World, change: Callable) -> None:
    change(synced)
    assert synced.take() == []


def test_r5_shared_contact_edit_for_an_unsynced_account_emits_nothing() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    world.write("contact", s.contact(last_name="Changed"))
    assert world.take() == []


def test_r6_shared_contact_edit_updates_every_synced_account_and_no_prospect() -> None:
    world = World()
    shared = "1-CON-S"
    world.write("contact", s.contact(shared, fst_name="Sam", last_name="Shared"))
    world.write("address", s.address())
    for acct in ("1-A-1", "1-A-2", "1-PROSPECT"):
        s.own_billing_profile(world, acct, pr_con_id=shared)
    s.submit_order(world, "1-A-1", "1-ORD-1")
    s.submit_order(world, "1-A-2", "1-ORD-2")
    assert len(world.take()) == 2
    world.write("contact", s.contact(shared, fst_name="Sam", last_name="Sharing"))
    updates = world.take()
    assert sorted(u["siebel_account_id"] for u in updates) == ["1-A-1", "1-A-2"]
    assert all(u["changed_sections"] == ["PERSON"] for u in updates)


def test_r6_shared_address_fans_out_only_where_the_payload_changes() -> None:
    world = World()
    world.write("contact", s.contact())
    world.write("address", s.address())
    world.write("address", s.address("1-ADR-OTHER"))
    s.own_billing_profile(world, "1-A-1")
    s.own_billing_profile(world, "1-A-2", pr_addr_id="1-ADR-OTHER")
    world.write("statement_profile", s.statement_profile("1-SP-9", "1-A-2", addr_id="1-ADR-1"))
    world.write("contact", s.contact("1-CON-2"))
    s.submit_order(world, "1-A-1", "1-ORD-1")
    s.submit_order(world, "1-A-2", "1-ORD-2")
    world.take()
    world.write("address", s.address(zipcode="62799"))
    updates = {u["siebel_account_id"]: u["changed_sections"] for u in world.take()}
    assert updates == {"1-A-1": ["MAILING_ADDRESS"], "1-A-2": ["STATEMENT_RECIPIENTS"]}
