"""Business customers (R5/R6 for a business's primary contact) and the v2 command shape."""

from __future__ import annotations

from tests.unit import siebel_rows as s
from tests.unit.world import World

BIZ = "1-BIZ-77"


def _business(world: World) -> None:
    world.write("contact", s.contact("1-CON-9", fst_name="Tom", last_name="Baker"))
    world.write("address", s.address())
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=BIZ))
    world.write("account", s.business(BIZ, pr_addr_id="1-ADR-1", pr_bill_prfl_id="1-BP-9"))
    s.submit_order(world, BIZ)


def test_r5_a_business_primary_contact_is_its_own_account_person() -> None:
    world = World()
    _business(world)
    (create,) = world.take()
    main, contact = create["customer"]["account_persons"]
    assert (main["role"], main["entity_name"], main["siebel_contact_id"]) == (
        "MAIN",
        "Acme Bakery LLC",
        None,  # the customer is the business, not the contact
    )
    assert (contact["role"], contact["siebel_contact_id"], contact["entity_name"]) == (
        "CONTACT",
        "1-CON-9",
        "Baker,Tom",
    )
    assert not contact["financially_responsible"]
    assert create["customer"]["account"]["account_number"] == "AC-100234"


def test_r6_an_edit_of_a_business_primary_contact_is_an_update() -> None:
    world = World()
    _business(world)
    world.take()
    world.write("contact", s.contact("1-CON-9", fst_name="Tom", last_name="Baker-Smith"))
    (update,) = world.take()
    assert update["changed_sections"] == ["CONTACTS"]
    assert update["customer"]["account_persons"][1]["entity_name"] == "Baker-Smith,Tom"


def test_r5_a_change_of_bill_routing_is_a_billing_change_of_the_main_account_person() -> None:
    world = World()
    _business(world)
    world.take()
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=BIZ, bill_media="Email"))
    (update,) = world.take()
    assert update["changed_sections"] == ["BILLING"]
    assert update["customer"]["account_persons"][0]["bill_route_type"] == "EMAIL"


def test_r6_an_edit_of_the_billing_profile_contact_is_an_update() -> None:
    """The primary billing profile's contact is who bills are addressed to: followed like any
    other referenced contact (DESIGN §5.3), its edits reach CC&B."""
    world = World()
    world.write("contact", s.contact("1-CON-5", fst_name="Ada", last_name="Byron"))
    _business(world)
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=BIZ, contact_id="1-CON-5"))
    assert world.take()[-1]["customer"]["account_persons"][0]["bill_to_name"] == "Byron,Ada"
    world.write("contact", s.contact("1-CON-5", fst_name="Ada", last_name="Lovelace"))
    (update,) = world.take()
    assert update["changed_sections"] == ["BILLING"]
    assert update["customer"]["account_persons"][0]["bill_to_name"] == "Lovelace,Ada"


def test_r7_a_business_create_waits_for_its_primary_contacts_row() -> None:
    # the contact row is in the same Siebel transaction as the account's, but its answer can
    # come after the subscription was answered "no such row": the create waits for the row
    # rather than go out without the contact and be followed by an update at once
    world = World()
    world.write("address", s.address())
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=BIZ))
    world.write("account", s.business(BIZ, pr_addr_id="1-ADR-1", pr_bill_prfl_id="1-BP-9"))
    s.submit_order(world, BIZ)
    assert world.take() == []  # held: contact 1-CON-9 has no row yet
    world.write("contact", s.contact("1-CON-9", fst_name="Tom", last_name="Baker"))
    (create,) = world.take()
    assert create["command_type"] == "CREATE_CUSTOMER"
    assert [p["role"] for p in create["customer"]["account_persons"]] == ["MAIN", "CONTACT"]
