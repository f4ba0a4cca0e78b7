"""Resend (streams/resend.py, the reducer's Resend event): a synced customer's whole current
state goes out again as one update with the next sequence; one not synced is refused."""

from __future__ import annotations

from pathlib import Path

from streams.core.events import Resend, hub_event_from_json, hub_event_to_json
from streams.core.mapping import SECTIONS
from streams.resend import decide, read_accounts
from tests.unit import siebel_rows as s
from tests.unit.world import World

ACCT = "1-4MS-3423"
AT = "2026-11-29T10:00:00+00:00"


def test_a_synced_customer_is_sent_again_whole_with_the_next_sequence() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    world.write("contact", s.contact(cell_ph_num="+1 217 555 0123"))  # update #2
    world.take()
    world._hub(ACCT, Resend(AT, "CC&B restored from backup"))
    (update,) = world.take()
    assert (update["command_type"], update["sequence"]) == ("UPDATE_CUSTOMER", 3)
    assert update["changed_sections"] == list(SECTIONS)
    world.write("contact", s.contact(cell_ph_num="+1 217 555 0124"))
    assert [c["sequence"] for c in world.take()] == [4]  # and on as before


def test_a_prospect_is_refused_with_an_alert_and_nothing_is_sent() -> None:
    world = World()
    s.complete_prospect(world, ACCT)  # no order: never synced
    world._hub(ACCT, Resend(AT))
    assert world.take() == []
    assert [a.reason for a in world.alerts] == ["RESEND_REFUSED"]
    assert "not synced" in world.alerts[0].message


def test_a_customer_deleted_in_siebel_is_refused() -> None:
    world = World()
    s.complete_prospect(world, ACCT)
    s.submit_order(world, ACCT)
    world.delete("account", ACCT)
    world.take()
    world._hub(ACCT, Resend(AT))
    assert world.take() == []
    assert world.alerts[-1].reason == "RESEND_REFUSED"


def test_the_request_has_a_wire_form() -> None:
    request = Resend(AT, "lost in CC&B")
    assert hub_event_from_json(hub_event_to_json(request)) == request


def test_the_command_refuses_what_the_worker_says_is_not_synced() -> None:
    synced = {"known": True, "sync": {"synced": True, "deleted": False, "last_sequence": 7}}
    prospect = {"known": True, "sync": {"synced": False, "deleted": False, "last_sequence": 0}}
    assert decide("1-A", synced).why == "update #8"
    assert decide("1-A", synced).send
    assert not decide("1-B", prospect).send
    assert not decide("1-C", {"known": False}).send
    assert decide("1-D", None).send  # no worker answered: the hub decides (and may refuse)


def test_accounts_come_from_arguments_and_a_file(tmp_path: Path) -> None:
    listing = tmp_path / "accounts.txt"
    listing.write_text("1-A\n\n# a comment\n1-B,why\n1-A\n")
    assert read_accounts(["1-C"], listing) == ["1-C", "1-A", "1-B"]
