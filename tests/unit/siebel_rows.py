"""Realistic Siebel rows (logical column names, as the row models' to_json gives them)."""

from __future__ import annotations

from typing import Any


def account(row_id: str = "1-4MS-3423", **over: Any) -> dict[str, Any]:
    row = {
        "row_id": row_id,
        "par_row_id": row_id,
        "name": "Hopper Household",
        "loc": "Springfield",
        "ou_num": "AC-100234",
        "accnt_type_cd": "Customer",
        "ou_type_cd": "Residential",
        "cust_stat_cd": "Active",
        "pr_addr_id": "1-ADR-1",
        "pr_con_id": "1-CON-1",
        "pr_bill_prfl_id": "1-BP-1",
        "main_ph_num": None,
        "main_email_addr": None,
        "tax_iden_num": None,
        "base_curcy_cd": "USD",
        "lang_id": "ENU",
        "created": "2024-03-01",
    }
    return row | over


def business(row_id: str = "1-BIZ-77", **over: Any) -> dict[str, Any]:
    return (
        account(
            row_id,
            name="Acme Bakery LLC",
            ou_type_cd="Business",
            accnt_type_cd="Billing",
            pr_con_id="1-CON-9",
            main_ph_num="+1 217 555 0142",
            main_email_addr="accounts@acme-bakery.example",
            tax_iden_num="36-1234567",
        )
        | over
    )


def contact(row_id: str = "1-CON-1", **over: Any) -> dict[str, Any]:
    row = {
        "row_id": row_id,
        "fst_name": "Grace",
        "last_name": "Hopper",
        "mid_name": "B",
        "email_addr": "grace.hopper@example.org",
        "home_ph_num": "+1 217 555 0100",
        "work_ph_num": None,
        "cell_ph_num": "+1 217 555 0199",
        "fax_ph_num": None,
        "soc_security_num": "123-45-6789",
        "birth_dt": "1906-12-09",
        "pref_lang_id": "ENU",
    }
    return row | over


def address(row_id: str = "1-ADR-1", **over: Any) -> dict[str, Any]:
    row = {
        "row_id": row_id,
        "addr": "12 Grid Lane",
        "addr_line_2": "Apt 4",
        "city": "Springfield",
        "county": "Sangamon",
        "state": "IL",
        "zipcode": "62701",
        "country": "USA",
        "addr_type_cd": "Mailing",
    }
    return row | over


def billing_profile(row_id: str = "1-BP-1", accnt_id: str = "1-4MS-3423", **over: Any) -> dict:
    row = {
        "row_id": row_id,
        "accnt_id": accnt_id,
        "name": "Main billing",
        "primary_flg": True,
        "status_cd": "Active",
        "pay_method": "Check",
        "bill_cycle": "Monthly-08",
        "bill_media": "Paper",
        "bill_type": "Detail",
        "email_bill_to": None,
        "addr_id": None,
        "budget_bill_flg": False,
    }
    return row | over


def statement_profile(row_id: str = "1-SP-1", accnt_id: str = "1-4MS-3423", **over: Any) -> dict:
    row = {
        "row_id": row_id,
        "accnt_id": accnt_id,
        "contact_id": "1-CON-2",
        "addr_id": "1-ADR-2",
        "copies": 1,
        "bill_media": "Paper",
        "bill_type": "Summary",
        "language": "ENU",
    }
    return row | over


def party_link(row_id: str, party_id: str, person_id: str, **over: Any) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "party_id": party_id,
        "person_id": person_id,
        "rel_type_cd": "Spouse",
    } | over


def order(
    row_id: str = "1-ORD-1",
    status: str | None = "Submitted",
    bill_accnt_id: str | None = None,
    **over: Any,
) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "order_num": f"SO-{row_id[-4:]}",
        "rev_num": 1,
        "status_cd": status,
        "accnt_id": bill_accnt_id,
        "bill_accnt_id": bill_accnt_id,
    } | over


def order_line(
    row_id: str, order_id: str = "1-ORD-1", bill_accnt_id: str | None = None, **over: Any
) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "order_id": order_id,
        "ln_num": 1,
        "action_cd": "Add",
        "status_cd": "Open",
        "bill_accnt_id": bill_accnt_id,
    } | over


def complete_prospect(world: Any, acct: str = "1-4MS-3423") -> None:
    """A residential prospect with everything CC&B needs, but no order yet."""
    world.write("contact", contact())
    world.write("address", address())
    world.write("account", account(acct))
    world.write("billing_profile", billing_profile(accnt_id=acct))


def submit_order(world: Any, acct: str = "1-4MS-3423", order_id: str = "1-ORD-1") -> None:
    world.write("order", order(order_id, "Submitted"))
    world.write("order_line", order_line(f"{order_id}-L1", order_id, acct))


def own_billing_profile(world: Any, acct: str, **over: Any) -> None:
    """An account with its own primary billing profile (R7 requires one), `1-BP-<acct>`."""
    profile = f"1-BP-{acct}"
    world.write("billing_profile", billing_profile(profile, accnt_id=acct))
    world.write("account", account(acct, pr_bill_prfl_id=profile, **over))
