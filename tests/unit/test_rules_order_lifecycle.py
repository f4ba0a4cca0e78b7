"""R2 at the edges of an order's life: a held create is withdrawn when no triggering order line
names its account any more (cancelled, line deleted, line re-pointed), never once sent; and R3/R7
decisions are not stuck (class corrected, prospect deleted, one alert per distinct failure)."""

from __future__ import annotations

import pytest

from tests.unit import siebel_rows as s
from tests.unit.world import World

ACCT = "1-4MS-3423"
OTHER = "1-4MS-9001"


@pytest.fixture
def world() -> World:
    """A prospect whose create would be held: everything but its mailing address (R7)."""
    w = World()
    w.write("contact", s.contact())
    w.write("account", s.account(ACCT))
    w.write("billing_profile", s.billing_profile(accnt_id=ACCT))
    return w


def _complete(world: World) -> None:
    world.write("address", s.address())


def _held(world: World, acct: str = ACCT) -> bool:
    return world.hubs[acct].sync.held is not None


@pytest.mark.parametrize("status", ["Cancelled", "Pending", "Abandoned"])
def test_r2_a_cancelled_order_withdraws_its_held_create(world: World, status: str) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    assert _held(world)
    world.write("order", s.order("1-ORD-1", status))
    assert not _held(world)
    _complete(world)
    assert world.take() == []


def test_r2_a_deleted_line_withdraws_its_held_create(world: World) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    world.delete("order_line", "1-ORD-1-L1")
    _complete(world)
    assert world.take() == []


def test_r2_a_line_re_pointed_to_another_account_moves_the_create(world: World) -> None:
    world.write("account", s.account(OTHER, pr_con_id="1-CON-1", pr_addr_id="1-ADR-1"))
    world.write("billing_profile", s.billing_profile("1-BP-9", accnt_id=OTHER))
    world.write(
        "account",
        s.account(OTHER, pr_con_id="1-CON-1", pr_addr_id="1-ADR-1", pr_bill_prfl_id="1-BP-9"),
    )
    s.submit_order(world, ACCT, "1-ORD-1")
    world.write("order_line", s.order_line("1-ORD-1-L1", "1-ORD-1", OTHER))
    _complete(world)
    creates = world.take()
    assert [c["siebel_account_id"] for c in creates] == [OTHER]


def test_r2_another_order_still_naming_the_account_keeps_the_create(world: World) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    s.submit_order(world, ACCT, "1-ORD-2")
    world.write("order", s.order("1-ORD-1", "Cancelled"))
    _complete(world)
    (create,) = world.take()
    assert create["trigger"]["order_id"] == "1-ORD-2"  # the order that still bills it


def test_r2_a_create_once_sent_is_never_withdrawn(world: World) -> None:
    _complete(world)
    s.submit_order(world, ACCT, "1-ORD-1")
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]
    world.write("order", s.order("1-ORD-1", "Cancelled"))
    world.write("contact", s.contact(last_name="Murray"))
    assert [c["command_type"] for c in world.take()] == ["UPDATE_CUSTOMER"]  # still synced


def test_r2_an_order_resubmitted_after_a_cancellation_creates_again(world: World) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    world.write("order", s.order("1-ORD-1", "Cancelled"))
    world.write("order", s.order("1-ORD-1", "Submitted"))
    _complete(world)
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_r3_a_class_corrected_while_the_order_still_bills_it_creates_it(world: World) -> None:
    _complete(world)
    world.write("account", s.account(ACCT, accnt_type_cd="Service"))
    s.submit_order(world, ACCT, "1-ORD-1")
    assert world.take() == []
    assert [a.reason for a in world.alerts] == ["INELIGIBLE_ACCOUNT_CLASS"]
    world.write("account", s.account(ACCT, accnt_type_cd="Customer"))
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_r3_an_ineligible_account_is_alerted_once_per_class(world: World) -> None:
    _complete(world)
    world.write("account", s.account(ACCT, accnt_type_cd="Service"))
    s.submit_order(world, ACCT, "1-ORD-1")
    world.write("account", s.account(ACCT, accnt_type_cd="Service", name="Renamed"))
    world.write("account", s.account(ACCT, accnt_type_cd="Billing Aggregator"))
    assert [a.detail["account_class"] for a in world.alerts] == ["Service", "Billing Aggregator"]


def test_r7_a_deleted_prospect_clears_its_held_create_with_an_alert(world: World) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    world.delete("account", ACCT)
    assert not _held(world)
    assert [a.reason for a in world.alerts] == ["HELD_CREATE_WITHDRAWN"]
    world.write("account", s.account(ACCT))  # re-inserted: a new order must ask again
    _complete(world)
    assert world.take() == []


def test_r11_a_mapping_failure_is_alerted_once_not_on_every_event(world: World) -> None:
    _complete(world)
    s.submit_order(world, ACCT, "1-ORD-1")
    world.take()
    world.write("account", s.account(ACCT, base_curcy_cd="XXX"))  # an unmapped code (R14)
    for n in range(3):
        world.write("contact", s.contact(home_ph_num=f"+1 217 555 010{n}"))
    assert [a.reason for a in world.alerts] == ["MAPPING_FAILED"]
    world.write("account", s.account(ACCT))  # fixed: updates flow again
    assert world.take()


def test_r3_an_ineligible_held_account_says_why_in_the_held_view(world: World) -> None:
    from streams.core.reducer import held_reason

    world.write("account", s.account(ACCT, accnt_type_cd="Service"))
    s.submit_order(world, ACCT, "1-ORD-1")
    assert held_reason(world.hubs[ACCT], world.ctx) == [
        "account class 'Service' is not eligible (R3)"
    ]


def test_r7_a_create_held_too_long_raises_one_alert_naming_what_it_waits_for(
    world: World,
) -> None:
    from datetime import timedelta

    from streams.core.events import HeldCheck
    from streams.core.reducer import reduce
    from tests.unit.world import NOW

    s.submit_order(world, ACCT)
    state = world.hubs[ACCT]
    assert state.sync.held_since == NOW.isoformat()

    def check(after: timedelta) -> list[str]:
        nonlocal state
        outcome = reduce(ACCT, state, HeldCheck(900, (NOW + after).isoformat()), world.ctx, NOW)
        state = outcome.state
        return [a.message for a in outcome.alerts]

    assert check(timedelta(minutes=10)) == []  # not yet
    (message,) = check(timedelta(minutes=16))
    assert "mailing address" in message
    assert check(timedelta(minutes=30)) == []  # once
    _complete(world)
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]
    assert world.hubs[ACCT].sync.held_since is None
