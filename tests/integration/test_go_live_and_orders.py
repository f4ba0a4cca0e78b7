"""Acceptance cases of a utility on the real stack: an order cancelled before its customer was
complete creates nothing (R2, R7), and go-live over an existing CC&B (R12): the seed command,
then the snapshot of existing Siebel data, updates seeded accounts and creates only new ones."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from streams.seeding import publish
from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    Outputs,
    Siebel,
    app_settings,
    new_id,
    running_worker,
    start_at_end,
)

pytestmark = pytest.mark.integration
QUIET_S = 8.0


def test_r2_an_order_cancelled_before_its_contact_row_is_written_sends_nothing(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    start_at_end(app_settings(stack_env(), tag))  # this test's rows only, not the history
    with running_worker(stack_env(), tmp_path, tag) as worker:
        out = Outputs(worker.settings)
        acct, contact, order = new_id("A"), new_id("C"), new_id("O")
        # a residential customer with everything but its primary contact's row
        address = new_id("D")
        siebel.insert("s_addr_per", row_id=address, addr="12 Grid Lane", city="Springfield")
        bp = new_id("B")
        siebel.insert(
            "s_org_ext",
            row_id=acct,
            par_row_id=acct,
            name="Held Household",
            accnt_type_cd="Customer",
            ou_type_cd="Residential",
            pr_con_id=contact,
            pr_addr_id=address,
            pr_bill_prfl_id=bp,
        )
        siebel.insert("s_inv_prof", row_id=bp, accnt_id=acct, name="Primary", primary_flg="Y")
        siebel.order(order, "Submitted", (new_id("L"), acct))
        out.wait_for("the create to be held", lambda: acct in worker.held(), 60)
        siebel.update("s_order", order, status_cd="Cancelled")
        out.wait_for("the held create to be withdrawn", lambda: acct not in worker.held(), 60)
        siebel.insert("s_contact", row_id=contact, fst_name="Ada", last_name="Late")
        sentinel = new_id("S")
        siebel.prospect(sentinel, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
        siebel.order(new_id("O"), "Submitted", (new_id("L"), sentinel))
        out.wait_for("the sentinel's create", lambda: bool(out.for_account(sentinel)), 90)
        out.poll(QUIET_S)
        assert out.for_account(acct) == []
        out.close()


def test_r12_seed_then_snapshot_updates_seeded_accounts_and_creates_new_ones(
    pg: psycopg.Connection, tmp_path: Path
) -> None:
    siebel = Siebel(pg)
    tag = uuid.uuid4().hex[:8]
    base = stack_env()
    settings = app_settings(base, tag)
    # the app will read from here: what follows stands for the snapshot of Siebel at go-live
    # (the history earlier tests left is not this test's business)
    start_at_end(settings)
    existing, new = new_id("E"), new_id("N")
    for acct in (existing, new):  # Siebel as it is at go-live: both ordered, both complete
        siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"))
        siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
    xref = tmp_path / "xref.csv"
    xref.write_text(
        f"siebel_account_id,ccb_account_id,ccb_person_id,last_sequence\n{existing},0012345,P-9,4\n"
    )
    assert publish(settings, xref) == 1  # before the first worker start
    with running_worker(base, tmp_path, tag) as worker:  # reads the topics from the start
        out = Outputs(worker.settings)
        out.wait_for("both accounts", lambda: all(out.for_account(a) for a in (existing, new)), 120)
        out.poll(QUIET_S)
        (update,) = out.for_account(existing)
        assert (update["command_type"], update["sequence"]) == ("UPDATE_CUSTOMER", 5)
        assert (update["ccb_account_id"], update["ccb_person_id"]) == ("0012345", "P-9")
        (create,) = out.for_account(new)
        assert (create["command_type"], create["sequence"]) == ("CREATE_CUSTOMER", 1)
        assert create["ccb_account_id"] is None
        out.close()
