"""The product end to end on the real stack: SQL into the Siebel database, Debezium, the Faust
worker, CC&B commands read back with a read_committed consumer through the registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.integration.conftest import stack_env
from tests.integration.pipeline import (
    Outputs,
    Siebel,
    Worker,
    new_id,
    produce_raw,
    running_worker,
)

pytestmark = pytest.mark.integration
QUIET_S = 6.0  # how long "nothing more arrives" is watched after a sentinel has arrived


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    with running_worker(stack_env(), Path(tmp_path_factory.mktemp("worker"))) as w:
        yield w


@pytest.fixture(scope="module")
def out(worker: Worker) -> Iterator[Outputs]:
    outputs = Outputs(worker.settings)
    yield outputs
    outputs.close()


@pytest.fixture
def siebel(pg: psycopg.Connection) -> Siebel:
    return Siebel(pg)


def customer(siebel: Siebel, **kw: object) -> str:
    acct = new_id("A")
    siebel.prospect(acct, contact=new_id("C"), address=new_id("D"), bp=new_id("B"), **kw)  # type: ignore[arg-type]
    return acct


def sync(siebel: Siebel, out: Outputs, acct: str) -> dict:
    order = new_id("O")
    siebel.order(order, "Submitted", (new_id("L"), acct))
    out.wait_for(f"create of {acct}", lambda: bool(out.for_account(acct)))
    return out.for_account(acct)[0]


def settle(siebel: Siebel, out: Outputs) -> None:
    """Sync a sentinel customer and keep reading a while: what was written before has had its
    chance to come out."""
    sync(siebel, out, customer(siebel))
    out.poll(QUIET_S)


def test_r4_prospect_edited_many_times_yields_no_command(siebel: Siebel, out: Outputs) -> None:
    acct = customer(siebel)
    con = new_id("C2")
    siebel.insert("s_contact", row_id=con, last_name="Byron", fst_name="Ada")
    siebel.insert("s_party_per", row_id=new_id("P"), party_id=acct, person_id=con)
    siebel.insert("s_stmt_prof", row_id=new_id("S"), accnt_id=acct, contact_id=con, copies=1)
    for n in range(5):
        siebel.update("s_org_ext", acct, name=f"Hopper Household {n}")
        siebel.update("s_contact", con, cell_ph_num=f"+1 217 555 02{n:02}")
    siebel.order(new_id("O"), "Pending", (new_id("L"), acct))
    settle(siebel, out)
    assert out.for_account(acct) == []


def test_r2_submitted_order_creates_each_distinct_eligible_account_once(
    siebel: Siebel, out: Outputs
) -> None:
    first, second = customer(siebel), customer(siebel, business=True, account_class="Billing")
    order = new_id("O")
    lines = [(new_id("L1"), first), (new_id("L2"), second), (new_id("L3"), first)]
    siebel.order(order, "Submitted", *lines)
    out.wait_for("two creates", lambda: bool(out.for_account(first) and out.for_account(second)))
    create = out.for_account(first)[0]
    assert create["command_type"] == "CREATE_CUSTOMER"
    assert create["sequence"] == 1
    assert create["trigger"]["order_id"] == order
    # The lines known when the order reached a trigger status (events of one transaction reach
    # the orders agent one by one; a later line of an account already requested adds nothing).
    assert create["trigger"]["line_ids"]
    assert set(create["trigger"]["line_ids"]) <= {lines[0][0], lines[2][0]}
    person = create["customer"]["person"]
    assert person["entity_name"] == "Hopper,Grace"
    assert person["mailing_address"]["address1"] == "12 Grid Lane"
    assert create["customer"]["account"]["bill_cycle"] == "M08"
    assert create["source"]["connector"] == "postgresql"
    business = out.for_account(second)[0]["customer"]["person"]
    assert business["person_or_business"] == "BUSINESS"
    assert business["entity_name"] == "Acme Bakery LLC"
    # R13: the same account on a second submitted order creates nothing more.
    siebel.order(new_id("O"), "Open", (new_id("L"), first))
    settle(siebel, out)
    assert len(out.for_account(first)) == 1
    assert len(out.for_account(second)) == 1


@pytest.mark.parametrize("status", ["Pending", "Cancelled", "Abandoned"])
def test_r2_draft_cancelled_or_abandoned_orders_create_nothing(
    siebel: Siebel, out: Outputs, status: str
) -> None:
    acct = customer(siebel)
    siebel.order(new_id("O"), status, (new_id("L"), acct))
    settle(siebel, out)
    assert out.for_account(acct) == []


def test_r3_service_class_billing_account_alerts_and_creates_nothing(
    siebel: Siebel, out: Outputs
) -> None:
    acct = customer(siebel, account_class="Service")
    siebel.order(new_id("O"), "Submitted", (new_id("L"), acct))
    out.wait_for(
        "ineligible alert",
        lambda: any(d.get("account_id") == acct for d in out.dead),
    )
    (alert,) = [d for d in out.dead if d.get("account_id") == acct]
    assert alert["reason"] == "INELIGIBLE_ACCOUNT_CLASS"
    assert alert["source"]["topic"].endswith("hub-events")
    assert out.for_account(acct) == []


def test_r5_each_mapped_edit_yields_one_update_naming_its_section(
    siebel: Siebel, out: Outputs
) -> None:
    acct = customer(siebel, business=True)
    row = siebel.conn.execute(
        "SELECT pr_con_id, pr_addr_id, pr_bill_prfl_id FROM siebel.s_org_ext WHERE row_id = %s",
        (acct,),
    ).fetchone()
    assert row is not None
    _, addr, bp = row
    linked, stmt = new_id("C2"), new_id("S")
    siebel.insert("s_contact", row_id=linked, last_name="Turing", fst_name="Alan")
    siebel.insert("s_party_per", row_id=new_id("P"), party_id=acct, person_id=linked)
    siebel.insert("s_stmt_prof", row_id=stmt, accnt_id=acct, copies=1, bill_media="Paper")
    sync(siebel, out, acct)

    edits = [
        (lambda: siebel.update("s_org_ext", acct, name="Acme Bakery Inc"), ["PERSON"]),
        (lambda: siebel.update("s_addr_per", addr, addr="1 New Street"), ["MAILING_ADDRESS"]),
        (lambda: siebel.update("s_contact", linked, work_ph_num="+1 312 555 0101"), ["CONTACTS"]),
        (lambda: siebel.update("s_inv_prof", bp, bill_media="Email"), ["BILLING"]),
        (lambda: siebel.update("s_stmt_prof", stmt, copies=2), ["STATEMENT_RECIPIENTS"]),
    ]
    for n, (edit, sections) in enumerate(edits, start=2):
        # Unmapped edits first: if they emitted anything, the next update's sequence shows it.
        siebel.update("s_org_ext", acct, last_upd="2026-11-25 10:00:00")
        siebel.update("s_org_ext", acct, x_marketing_seg=f"segment {n}")
        edit()

        def arrived(count: int = n) -> bool:
            return len(out.for_account(acct)) >= count

        out.wait_for(f"update {n}", arrived)
        update = out.for_account(acct)[n - 1]
        assert update["command_type"] == "UPDATE_CUSTOMER"
        assert update["sequence"] == n
        assert update["changed_sections"] == sections
    settle(siebel, out)
    assert len(out.for_account(acct)) == len(edits) + 1


def test_r6_shared_contact_edit_updates_both_synced_accounts_not_the_prospect(
    siebel: Siebel, out: Outputs
) -> None:
    shared = new_id("SC")
    siebel.insert("s_contact", row_id=shared, last_name="Shared", fst_name="Sam")
    accounts = [customer(siebel) for _ in range(3)]
    for acct in accounts:
        siebel.insert("s_party_per", row_id=new_id("P"), party_id=acct, person_id=shared)
    for acct in accounts[:2]:
        sync(siebel, out, acct)
    siebel.update("s_contact", shared, cell_ph_num="+1 608 555 0123")
    out.wait_for("two updates", lambda: all(len(out.for_account(a)) == 2 for a in accounts[:2]))
    settle(siebel, out)
    assert [len(out.for_account(a)) for a in accounts] == [2, 2, 0]
    assert all(out.for_account(a)[1]["changed_sections"] == ["CONTACTS"] for a in accounts[:2])


def test_r7_one_transaction_with_the_order_line_first_yields_one_complete_create(
    siebel: Siebel, out: Outputs
) -> None:
    acct, con, addr, bp, order = new_id("A"), new_id("C"), new_id("D"), new_id("B"), new_id("O")
    with siebel.conn.transaction():
        siebel.insert("s_order_item", row_id=new_id("L"), order_id=order, bill_accnt_id=acct)
        siebel.insert("s_order", row_id=order, order_num="SO-TXN", status_cd="Submitted")
        siebel.insert(
            "s_inv_prof",
            row_id=bp,
            accnt_id=acct,
            name="P",
            primary_flg="Y",
            bill_media="Email",
            bill_cycle="Monthly-15",
        )
        siebel.insert(
            "s_org_ext",
            row_id=acct,
            par_row_id=acct,
            name="Txn Household",
            accnt_type_cd="Customer",
            ou_type_cd="Residential",
            pr_con_id=con,
            pr_addr_id=addr,
            pr_bill_prfl_id=bp,
        )
        siebel.insert("s_addr_per", row_id=addr, addr="7 Atomic Way", city="Madison", state="WI")
        siebel.insert("s_contact", row_id=con, last_name="Curie", fst_name="Marie")
    out.wait_for("the create", lambda: bool(out.for_account(acct)))
    settle(siebel, out)
    (create,) = out.for_account(acct)
    assert create["customer"]["person"]["entity_name"] == "Curie,Marie"
    assert create["customer"]["person"]["mailing_address"]["city"] == "Madison"
    assert create["customer"]["account_persons"][0]["bill_route_type"] == "EMAIL"  # schema v2
    assert create["customer"]["account"]["cis_division"] == "WI"


def test_r11_malformed_bytes_are_dead_lettered_and_processing_goes_on(
    siebel: Siebel, out: Outputs, worker: Worker
) -> None:
    topic = worker.settings.source_topic("s_contact")
    not_json = produce_raw(worker.settings, topic, b'{"row_id": "1-BAD"}', b"\x00not json at all")
    no_source = produce_raw(
        worker.settings, topic, b'{"row_id": "1-BAD2"}', b'{"op": "c", "after": {}}'
    )

    def dead_letter_of(at: tuple[int, int]) -> dict | None:
        # the topic also holds the bad records of earlier runs: find ours by coordinates
        return next(
            (
                d
                for d in out.dead
                if d.get("kind") == "DEAD_LETTER"
                and d["source"]["topic"] == topic
                and (d["source"]["partition"], d["source"]["offset"]) == at
            ),
            None,
        )

    out.wait_for("two dead letters", lambda: all(map(dead_letter_of, (not_json, no_source))))
    first, second = dead_letter_of(not_json), dead_letter_of(no_source)
    assert first is not None
    assert second is not None
    assert first["error_class"] == second["error_class"] == "DecodeError"
    assert first["value_b64"] == "AG5vdCBqc29uIGF0IGFsbA=="  # the original bytes, untouched
    assert "source" in second["message"]
    sync(siebel, out, customer(siebel))  # and the worker goes on
    assert worker.alive()
    assert worker.stats()["dead_letters"] >= 2


def test_r8_r9_sequences_have_no_gap_and_no_duplicate_across_the_suite(out: Outputs) -> None:
    out.poll(2.0)
    per_account: dict[str, list[int]] = defaultdict(list)
    ids: set[str] = set()
    for command in out.commands:
        per_account[command["siebel_account_id"]].append(command["sequence"])
        assert command["command_id"] not in ids
        ids.add(command["command_id"])
    assert per_account
    for acct, sequences in per_account.items():
        assert sequences == list(range(1, len(sequences) + 1)), acct
