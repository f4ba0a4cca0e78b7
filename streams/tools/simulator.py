"""Siebel activity simulator: sales reps and CSRs at work, written into the PostgreSQL Siebel
schema so Debezium captures it for real.

    python -m streams.tools.simulator --rate 2 [--count N] [--seed S]

Sales reps create prospects (account, contacts, address, billing and statement profiles), draft
orders and submit or cancel them; CSRs rename people, move addresses, change phones and billing
profiles, share contacts between accounts, and delete statement profiles and contact links.
"""

from __future__ import annotations

import argparse
import random
import secrets
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg

from streams.settings import Settings
from streams.siebel_db import insert_row, update_row

FIRST = ["Grace", "Alan", "Ada", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Hopper", "Turing", "Lovelace", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
STREETS = ["Grid Lane", "Meter Road", "Feeder Street", "Transformer Way", "Substation Ave"]
CITIES = [("Springfield", "IL", "627"), ("Madison", "WI", "537"), ("Gary", "IN", "464")]
MEDIA = ["Paper", "Email"]
CYCLES = ["Monthly-01", "Monthly-08", "Monthly-15", "Monthly-22"]


class Simulator:
    def __init__(self, conn: psycopg.Connection, rng: random.Random) -> None:
        self.conn, self.rng = conn, rng
        self.run_tag = secrets.token_hex(2).upper()
        self.counter = 0
        self.done: dict[str, int] = {}

    def new_id(self) -> str:
        self.counter += 1
        return f"1-{self.run_tag}-{self.counter:X}"

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        insert_row(self.conn, table, row)

    def _pick(self, query: str) -> Any:
        row = self.conn.execute(query + " ORDER BY random() LIMIT 1").fetchone()
        return row[0] if row else None

    def _touch(self, table: str, row_id: str, **values: Any) -> None:
        update_row(self.conn, table, row_id, values, touch=True)

    # --- sales ---------------------------------------------------------------------------------
    def new_prospect(self) -> None:
        acct, con, addr, bp = (self.new_id() for _ in range(4))
        business = self.rng.random() < 0.25
        city, state, zip3 = self.rng.choice(CITIES)
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        with self.conn.transaction():
            self._insert(
                "s_contact",
                {
                    "row_id": con,
                    "fst_name": first,
                    "last_name": last,
                    "email_addr": f"{first}.{last}@example.org".lower(),
                    "cell_ph_num": f"+1 217 555 {self.rng.randrange(10000):04}",
                    "soc_security_num": f"{self.rng.randrange(100, 999)}-45-"
                    f"{self.rng.randrange(10000):04}",
                },
            )
            self._insert(
                "s_addr_per",
                {
                    "row_id": addr,
                    "addr": f"{self.rng.randrange(1, 999)} {self.rng.choice(STREETS)}",
                    "city": city,
                    "state": state,
                    "zipcode": f"{zip3}{self.rng.randrange(100):02}",
                    "country": "USA",
                },
            )
            self._insert(
                "s_org_ext",
                {
                    "row_id": acct,
                    "par_row_id": acct,
                    "name": f"{last} {'Industries' if business else 'Household'}",
                    "ou_num": f"AC-{acct[2:]}",
                    "accnt_type_cd": "Customer",
                    "ou_type_cd": "Business" if business else "Residential",
                    "pr_con_id": con,
                    "pr_addr_id": addr,
                    "pr_bill_prfl_id": bp,
                    "base_curcy_cd": "USD",
                    "lang_id": "ENU",
                    "main_ph_num": "+1 217 555 0100" if business else None,
                },
            )
            self._insert(
                "s_party_per",
                {
                    "row_id": self.new_id(),
                    "party_id": acct,
                    "person_id": con,
                    "rel_type_cd": "Owner",
                },
            )
            self._insert(
                "s_inv_prof",
                {
                    "row_id": bp,
                    "accnt_id": acct,
                    "name": "Primary",
                    "primary_flg": "Y",
                    "bill_cycle": self.rng.choice(CYCLES),
                    "bill_media": self.rng.choice(MEDIA),
                    "bill_type": "Detail",
                    "pay_method": "Check",
                },
            )
            if self.rng.random() < 0.3:
                self._insert(
                    "s_stmt_prof",
                    {
                        "row_id": self.new_id(),
                        "accnt_id": acct,
                        "contact_id": con,
                        "addr_id": addr,
                        "copies": 1,
                        "bill_media": "Paper",
                        "bill_type": "Summary",
                    },
                )

    def draft_order(self) -> None:
        acct = self._pick("SELECT row_id FROM siebel.s_org_ext WHERE pr_con_id IS NOT NULL")
        if acct is None:
            return self.new_prospect()
        order = self.new_id()
        with self.conn.transaction():
            self._insert(
                "s_order",
                {
                    "row_id": order,
                    "order_num": f"SO-{order[2:]}",
                    "status_cd": "Pending",
                    "accnt_id": acct,
                    "bill_accnt_id": acct,
                },
            )
            for n in range(self.rng.randint(1, 3)):
                self._insert(
                    "s_order_item",
                    {
                        "row_id": self.new_id(),
                        "order_id": order,
                        "ln_num": n + 1,
                        "action_cd": "Add",
                        "status_cd": "Pending",
                        "bill_accnt_id": acct,
                    },
                )
        return None

    def submit_order(self) -> None:
        order = self._pick("SELECT row_id FROM siebel.s_order WHERE status_cd = 'Pending'")
        if order is not None:
            self._touch("s_order", order, status_cd="Submitted")

    def cancel_order(self) -> None:
        order = self._pick("SELECT row_id FROM siebel.s_order WHERE status_cd = 'Pending'")
        if order is not None:
            self._touch("s_order", order, status_cd="Cancelled")

    # --- customer service ------------------------------------------------------------------------
    def rename_person(self) -> None:
        con = self._pick("SELECT row_id FROM siebel.s_contact")
        if con is not None:
            self._touch("s_contact", con, last_name=self.rng.choice(LAST))

    def change_phone(self) -> None:
        con = self._pick("SELECT row_id FROM siebel.s_contact")
        if con is not None:
            self._touch("s_contact", con, home_ph_num=f"+1 608 555 {self.rng.randrange(10000):04}")

    def move_address(self) -> None:
        addr = self._pick("SELECT row_id FROM siebel.s_addr_per")
        if addr is not None:
            street = f"{self.rng.randrange(1, 999)} {self.rng.choice(STREETS)}"
            self._touch("s_addr_per", addr, addr=street)

    def change_billing(self) -> None:
        bp = self._pick("SELECT row_id FROM siebel.s_inv_prof")
        if bp is not None:
            self._touch("s_inv_prof", bp, bill_media=self.rng.choice(MEDIA))

    def share_contact(self) -> None:
        acct = self._pick("SELECT row_id FROM siebel.s_org_ext")
        con = self._pick("SELECT row_id FROM siebel.s_contact")
        if acct and con:
            self._insert(
                "s_party_per",
                {
                    "row_id": self.new_id(),
                    "party_id": acct,
                    "person_id": con,
                    "rel_type_cd": "Spouse",
                },
            )

    def delete_link(self) -> None:
        link = self._pick("SELECT row_id FROM siebel.s_party_per WHERE rel_type_cd = 'Spouse'")
        if link is not None:
            self.conn.execute("DELETE FROM siebel.s_party_per WHERE row_id = %s", (link,))

    def touch_only(self) -> None:
        acct = self._pick("SELECT row_id FROM siebel.s_org_ext")
        if acct is not None:
            self._touch("s_org_ext", acct)  # LAST_UPD only: must emit nothing

    def step(self) -> str:
        actions: list[tuple[Callable[[], None], int]] = [
            (self.new_prospect, 5),
            (self.draft_order, 4),
            (self.submit_order, 4),
            (self.cancel_order, 1),
            (self.rename_person, 2),
            (self.change_phone, 2),
            (self.move_address, 2),
            (self.change_billing, 2),
            (self.share_contact, 1),
            (self.delete_link, 1),
            (self.touch_only, 1),
        ]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        action()
        self.done[action.__name__] = self.done.get(action.__name__, 0) + 1
        return action.__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.tools.simulator", description=__doc__)
    parser.add_argument("--rate", type=float, default=2.0, help="actions per second")
    parser.add_argument("--count", type=int, default=0, help="stop after N actions (0: never)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with psycopg.connect(settings.siebel_dsn.get_secret_value(), autocommit=True) as conn:
        sim = Simulator(conn, random.Random(args.seed))  # noqa: S311 - test data, not secrets
        n = 0
        while not stop and (args.count == 0 or n < args.count):
            sim.step()
            n += 1
            time.sleep(1.0 / args.rate)
    print("simulator:", ", ".join(f"{k}={v}" for k, v in sorted(sim.done.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
