"""Realistic commands for the Avro tests, produced by the real core (not hand-written dicts)."""

from __future__ import annotations

from typing import Any

from tests.unit import siebel_rows as s
from tests.unit.world import World


def sample_commands() -> list[dict[str, Any]]:
    """A residential create with a bill copy and linked contact, updates with autopay and a
    removed address, and a business create."""
    world = World()
    acct = "1-4MS-3423"
    s.complete_prospect(world, acct)
    world.write("statement_profile", s.statement_profile())
    world.write("contact", s.contact("1-CON-2", fst_name="Ada", last_name="Byron"))
    world.write("address", s.address("1-ADR-2", addr="5 Copy Street"))
    world.write("party_link", s.party_link("1-PP-1", acct, "1-CON-3"))
    world.write("contact", s.contact("1-CON-3", fst_name="Alan", last_name="Turing"))
    s.submit_order(world, acct)
    world.write(
        "billing_profile",
        s.billing_profile(
            pay_method="Auto Debit",
            pay_token="tok_8f3a9c",
            pay_holder_name="Grace Hopper",
            pay_issuer="First Bank",
            addr_id="1-ADR-2",
            budget_bill_flg=True,
        ),
    )
    world.delete("address", "1-ADR-1")
    biz = "1-BIZ-77"
    world.write("address", s.address("1-ADR-9", state="WI"))
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=biz))
    world.write(
        "account", s.business(biz, pr_con_id=None, pr_addr_id="1-ADR-9", pr_bill_prfl_id="1-BP-9")
    )
    s.submit_order(world, biz, "1-ORD-9")
    return world.commands
