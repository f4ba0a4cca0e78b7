"""The Siebel stand-in schema has every column DESIGN §3 says the product uses."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DDL = (ROOT / "db" / "siebel-schema.sql").read_text()
COMMON = {
    "row_id",
    "created",
    "created_by",
    "last_upd",
    "last_upd_by",
    "modification_num",
    "conflict_id",
}
USED = {
    "s_org_ext": "name loc ou_num accnt_type_cd ou_type_cd cust_stat_cd par_ou_id pr_addr_id "
    "pr_con_id pr_bill_prfl_id main_ph_num main_email_addr tax_iden_num base_curcy_cd lang_id "
    "par_row_id",
    "s_contact": "fst_name last_name mid_name email_addr home_ph_num work_ph_num cell_ph_num "
    "fax_ph_num soc_security_num birth_dt pref_lang_id pr_per_addr_id pr_dept_ou_id",
    "s_party_per": "party_id person_id rel_type_cd start_dt end_dt",
    "s_addr_per": "addr addr_line_2 addr_line_3 city county state zipcode country addr_type_cd",
    "s_con_addr": "contact_id accnt_id addr_per_id main_addr_flg bill_addr_flg start_dt end_dt",
    "s_inv_prof": "accnt_id name primary_flg status_cd pay_method bill_freq bill_cycle bill_media "
    "bill_type email_bill_to contact_id addr_id budget_bill_flg pay_holder_name pay_token "
    "pay_issuer",
    "s_stmt_prof": "accnt_id contact_id addr_id copies bill_media bill_type email_bill_to "
    "language vendor",
    "s_order": "order_num rev_num status_cd accnt_id bill_accnt_id serv_accnt_id bill_profile_id",
    "s_order_item": "order_id ln_num prod_id action_cd status_cd bill_accnt_id serv_accnt_id "
    "bill_profile_id root_order_item_id",
}


def _columns(table: str) -> dict[str, str]:
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", DDL, re.S)
    assert body is not None, table
    columns = {}
    for line in body.group(1).splitlines():
        match = re.match(r"\s+(\w+)\s+([A-Z]+(?:\(\d+\))?)", line)
        if match:
            columns[match.group(1)] = match.group(2)
    return columns


@pytest.mark.parametrize("table", sorted(USED))
def test_table_has_siebel_common_and_used_columns(table: str) -> None:
    columns = _columns(table)
    assert COMMON | set(USED[table].split()) <= set(columns)
    assert columns["row_id"] == "VARCHAR(15)"


def test_no_foreign_keys_like_siebel_so_rows_may_arrive_in_any_order() -> None:
    assert "REFERENCES" not in DDL.upper()
