"""R2 (create only through an order) and R13 (re-orders create nothing)."""

from __future__ import annotations

import pytest

from tests.unit import siebel_rows as s
from tests.unit.world import World

ACCT = "1-4MS-3423"


@pytest.fixture
def world() -> World:
    w = World()
    s.complete_prospect(w, ACCT)
    return w


@pytest.mark.parametrize("status", ["Submitted", "Open"])
def test_r2_order_in_trigger_status_creates_its_billing_account(world: World, status: str) -> None:
    world.write("order", s.order("1-ORD-1", status))
    world.write("order_line", s.order_line("1-LN-1", "1-ORD-1", ACCT))
    (create,) = world.take()
    assert create["command_type"] == "CREATE_CUSTOMER"
    assert create["siebel_account_id"] == ACCT
    assert create["trigger"] == {
        "order_id": "1-ORD-1",
        "order_num": "SO-RD-1",
        "line_ids": ["1-LN-1"],
    }


@pytest.mark.parametrize("status", ["Pending", "Cancelled", "Abandoned", None])
def test_r2_orders_in_other_statuses_never_trigger(world: World, status: str | None) -> None:
    world.write("order", s.order("1-ORD-1", status))
    world.write("order_line", s.order_line("1-LN-1", "1-ORD-1", ACCT))
    assert world.take() == []


def test_r2_draft_then_submitted_creates_once(world: World) -> None:
    world.write("order", s.order("1-ORD-1", "Pending"))
    world.write("order_line", s.order_line("1-LN-1", "1-ORD-1", ACCT))
    assert world.take() == []
    world.write("order", s.order("1-ORD-1", "Submitted"))
    world.write("order", s.order("1-ORD-1", "Open"))  # later status moves do not re-trigger
    assert [c["command_type"] for c in world.take()] == ["CREATE_CUSTOMER"]


def test_r2_line_without_billing_account_falls_back_to_the_header(world: World) -> None:
    world.write("order", s.order("1-ORD-1", "Submitted", bill_accnt_id=ACCT))
    world.write("order_line", s.order_line("1-LN-1", "1-ORD-1", None))
    (create,) = world.take()
    assert create["siebel_account_id"] == ACCT


def test_r2_one_order_creates_each_distinct_billing_account_once(world: World) -> None:
    other = "1-4MS-9001"
    s.own_billing_profile(world, other, pr_con_id="1-CON-1", pr_addr_id="1-ADR-1")
    world.write("order", s.order("1-ORD-1", "Submitted"))
    for n, acct in enumerate([ACCT, other, ACCT, other]):
        world.write("order_line", s.order_line(f"1-LN-{n}", "1-ORD-1", acct))
    creates = world.take()
    assert sorted(c["siebel_account_id"] for c in creates) == sorted([ACCT, other])
    assert all(c["sequence"] == 1 for c in creates)


def test_r2_line_added_later_to_a_submitted_order_triggers_its_account(world: World) -> None:
    world.write("order", s.order("1-ORD-1", "Submitted"))
    assert world.take() == []  # a header without lines bills nobody yet
    world.write("order_line", s.order_line("1-LN-9", "1-ORD-1", ACCT))
    assert [c["trigger"]["line_ids"] for c in world.take()] == [["1-LN-9"]]


def test_r2_the_line_level_billing_profile_is_ignored(world: World) -> None:
    world.write(
        "billing_profile", s.billing_profile("1-BP-2", ACCT, primary_flg=False, bill_media="Email")
    )
    world.write("order", s.order("1-ORD-1", "Submitted"))
    world.write("order_line", s.order_line("1-LN-1", "1-ORD-1", ACCT, bill_profile_id="1-BP-2"))
    (create,) = world.take()
    main = create["customer"]["account_persons"][0]
    assert main["bill_route_type"] == "POSTAL"  # primary 1-BP-1: Paper


def test_r13_an_order_for_an_already_synced_account_creates_nothing(world: World) -> None:
    s.submit_order(world, ACCT, "1-ORD-1")
    assert len(world.take()) == 1
    s.submit_order(world, ACCT, "1-ORD-2")
    assert world.take() == []
    assert world.alerts == []
