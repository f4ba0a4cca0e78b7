"""Debezium-shaped change events for the benchmarks: a utility's day in Siebel.

Per customer: its contact, mailing address, account and primary billing profile (a prospect);
about a third get a submitted order (an order header and a line: the create); then edits —
phone numbers, renames, a new bill cycle — and one account in twenty shares another's contact
(a statement recipient). About ten events per customer: 100k customers ≈ 1M events.

Events are (table, key bytes, value bytes) exactly as the Debezium PostgreSQL connector writes
them (JSON, no schema), in commit order, with increasing LSNs and transaction ids.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

EVENTS_PER_CUSTOMER = 10
Event = tuple[str, bytes, bytes]


def _contact(rng: random.Random, row_id: str, n: int) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "fst_name": rng.choice(("Grace", "Ada", "Alan", "Edsger", "Barbara", "Ken")),
        "last_name": f"Customer{n}",
        "mid_name": None,
        "email_addr": f"customer{n}@example.org",
        "home_ph_num": f"+1 217 555 {n % 10000:04}",
        "work_ph_num": None,
        "cell_ph_num": None,
        "fax_ph_num": None,
        "soc_security_num": None,
        "birth_dt": "1970-01-01",
        "pref_lang_id": "ENU",
    }


def _address(rng: random.Random, row_id: str, n: int) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "addr": f"{n % 900 + 1} Grid Lane",
        "addr_line_2": None,
        "city": "Springfield",
        "county": "Sangamon",
        "state": rng.choice(("IL", "IL", "IL", "MO", "IN")),
        "zipcode": f"627{n % 100:02}",
        "country": "USA",
        "addr_type_cd": "Mailing",
    }


def _account(row_id: str, n: int, contact: str, address: str, profile: str) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "par_row_id": row_id,
        "name": f"Household {n}",
        "loc": "Springfield",
        "ou_num": f"AC-{n:07}",
        "accnt_type_cd": "Customer",
        "ou_type_cd": "Residential",
        "cust_stat_cd": "Active",
        "pr_addr_id": address,
        "pr_con_id": contact,
        "pr_bill_prfl_id": profile,
        "main_ph_num": None,
        "main_email_addr": None,
        "tax_iden_num": None,
        "base_curcy_cd": "USD",
        "lang_id": "ENU",
        "created": "2026-01-15",
    }


def _profile(row_id: str, account: str) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "accnt_id": account,
        "name": "Main billing",
        "primary_flg": "Y",
        "status_cd": "Active",
        "pay_method": "Check",
        "bill_cycle": "Monthly-08",
        "bill_media": "Paper",
        "bill_type": "Detail",
        "email_bill_to": None,
        "addr_id": None,
        "budget_bill_flg": "N",
    }


class _Log:
    """Debezium's envelope around each row change, with the source's log position."""

    def __init__(self) -> None:
        self.lsn = 1_000_000
        self.tx = 5_000
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    def change(self, table: str, row: dict[str, Any] | None, row_id: str) -> Event:
        self.lsn += 8
        self.tx += 1
        before = self.rows.get((table, row_id))
        op = "d" if row is None else ("u" if before else "c")
        if row is None:
            self.rows.pop((table, row_id), None)
        else:
            self.rows[(table, row_id)] = row
        ts = 1_764_000_000_000 + self.tx
        value = {
            "before": before,
            "after": row,
            "source": {
                "version": "3.6.3.Final",
                "connector": "postgresql",
                "name": "siebel",
                "ts_ms": ts,
                "snapshot": "false",
                "db": "siebel",
                "schema": "siebel",
                "table": table,
                "txId": self.tx,
                "lsn": self.lsn,
            },
            "op": op,
            "ts_ms": ts + 3,
        }
        key = json.dumps({"row_id": row_id}).encode()
        return table, key, json.dumps(value).encode()


def events(customers: int, seed: int = 7, prefix: str = "1-B") -> Iterator[Event]:
    """About EVENTS_PER_CUSTOMER events per customer, deterministic for a seed. Account ids
    are `prefix` and a 7-digit hex number (at most 4 characters of prefix: Siebel's ROW_ID is
    15 long, and the longest derived id adds two)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    log = _Log()
    ids = [f"{prefix}{n:07X}" for n in range(customers)]
    for n, acct in enumerate(ids):
        contact, address, profile = f"{acct}-C", f"{acct}-D", f"{acct}-P"
        yield log.change("s_contact", _contact(rng, contact, n), contact)
        yield log.change("s_addr_per", _address(rng, address, n), address)
        yield log.change("s_inv_prof", _profile(profile, acct), profile)
        yield log.change("s_org_ext", _account(acct, n, contact, address, profile), acct)
        if n % 3 == 0:  # ordered: the create
            order, line = f"{acct}-O", f"{acct}-L"
            header = {
                "row_id": order,
                "order_num": f"SO-{n:07}",
                "rev_num": 1,
                "status_cd": "Submitted",
                "accnt_id": acct,
                "bill_accnt_id": acct,
            }
            item = {
                "row_id": line,
                "order_id": order,
                "ln_num": 1,
                "action_cd": "Add",
                "status_cd": "Open",
                "bill_accnt_id": acct,
            }
            yield log.change("s_order", header, order)
            yield log.change("s_order_item", item, line)
        # edits: of this customer, or of an earlier one (which may be synced by now)
        for _ in range(EVENTS_PER_CUSTOMER - 5):
            other = ids[rng.randrange(n + 1)]
            what = rng.random()
            if what < 0.5:
                row = dict(log.rows[("s_contact", f"{other}-C")])
                row["cell_ph_num"] = f"+1 217 555 {rng.randrange(10000):04}"
                yield log.change("s_contact", row, row["row_id"])
            elif what < 0.8:
                row = dict(log.rows[("s_org_ext", other)])
                row["name"] = f"Household {rng.randrange(10**6)}"
                if rng.random() < 0.05 and other != acct:
                    row["pr_con_id"] = f"{acct}-C"  # now shares this customer's contact
                yield log.change("s_org_ext", row, other)
            else:
                row = dict(log.rows[("s_inv_prof", f"{other}-P")])
                row["bill_cycle"] = rng.choice(("Monthly-08", "Monthly-15", "Monthly-22"))
                yield log.change("s_inv_prof", row, row["row_id"])
