"""The customer aggregate: everything Siebel holds about one billing account, as the hub sees it.

Account-owned rows (links, profiles) arrive keyed by the account. Shared rows (contacts,
addresses) arrive as answers to the account's subscriptions (DESIGN §5.3): a referenced id maps to
the row, to None when the reference agent answered "no such row", and is absent while unanswered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from streams.core.debezium import SourcePosition, row_key, with_position
from streams.core.siebel import (
    Account,
    Address,
    AddressLink,
    BillingProfile,
    Contact,
    PartyLink,
    SiebelRow,
    StatementProfile,
)

INACTIVE_PROFILE_STATUSES = frozenset({"inactive", "cancelled", "closed"})


def _active(profile: BillingProfile) -> bool:
    return (profile.status_cd or "").strip().lower() not in INACTIVE_PROFILE_STATUSES


# Entities the hub keeps per account, by row id.
OWNED: dict[str, type[SiebelRow]] = {
    "party_link": PartyLink,
    "address_link": AddressLink,
    "billing_profile": BillingProfile,
    "statement_profile": StatementProfile,
}
SHARED: dict[str, type[SiebelRow]] = {"contact": Contact, "address": Address}


@dataclass(frozen=True)
class Aggregate:
    account: Account | None = None
    owned: Mapping[str, Mapping[str, SiebelRow]] = field(default_factory=dict)
    contacts: Mapping[str, Contact | None] = field(default_factory=dict)
    addresses: Mapping[str, Address | None] = field(default_factory=dict)
    # "<entity>/<row id>" → log position of the last change applied to that row, deletes
    # included, so a reprocessed older change is recognised and skipped (R9).
    positions: Mapping[str, int] = field(default_factory=dict)
    # `rows` per entity, sorted once per instance: an aggregate is never changed in place
    # (`replace` makes a new one, with an empty cache), and one hub event asks for the same
    # rows a dozen times (a profile's top: sorting them again and again)
    _sorted: dict[str, list[Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    # --- views ---------------------------------------------------------------------------------
    def rows(self, entity: str) -> list[Any]:
        """Owned rows of one entity in ROW_ID order (deterministic payloads). Read only: the
        list is shared by every caller of this aggregate."""
        rows = self._sorted.get(entity)
        if rows is None:
            rows = self._sorted[entity] = [r for _, r in sorted(self.owned.get(entity, {}).items())]
        return rows

    def active_party_links(self) -> list[PartyLink]:
        # Siebel closes a link by end-dating it; an end-dated link no longer counts.
        return [link for link in self.rows("party_link") if link.end_dt is None]

    def primary_billing_profile(self) -> BillingProfile | None:
        """The profile PR_BILL_PRFL_ID names; lacking that pointer, the active one flagged
        primary (lowest ROW_ID when several are: `billing_profile_ambiguity` says so)."""
        profiles: list[BillingProfile] = self.rows("billing_profile")
        if self.account and self.account.pr_bill_prfl_id:
            for profile in profiles:
                if profile.row_id == self.account.pr_bill_prfl_id and _active(profile):
                    return profile
            return None
        flagged = [p for p in profiles if p.primary_flg and _active(p)]
        return flagged[0] if flagged else None

    def billing_profile_ambiguity(self) -> list[str]:
        """Active profiles flagged primary when no PR_BILL_PRFL_ID decides between them."""
        if self.account is None or self.account.pr_bill_prfl_id:
            return []
        flagged = [p.row_id for p in self.rows("billing_profile") if p.primary_flg and _active(p)]
        return flagged if len(flagged) > 1 else []

    def mailing_address_id(self) -> str | None:
        if self.account is None:
            return None
        if self.account.pr_addr_id:
            return self.account.pr_addr_id
        links: list[AddressLink] = self.rows("address_link")
        main = [link for link in links if link.main_addr_flg and link.end_dt is None]
        return main[0].addr_per_id if main else None

    # --- references (what to subscribe to) --------------------------------------------------
    def referenced_contacts(self) -> frozenset[str]:
        ids: set[str] = set()
        if self.account and self.account.pr_con_id:
            ids.add(self.account.pr_con_id)
        ids.update(link.person_id for link in self.active_party_links())
        ids.update(s.contact_id for s in self.rows("statement_profile") if s.contact_id)
        profile = self.primary_billing_profile()
        if profile and profile.contact_id:  # who bills are addressed to (DESIGN §5.3)
            ids.add(profile.contact_id)
        return frozenset(ids)

    def referenced_addresses(self) -> frozenset[str]:
        ids: set[str] = set()
        mailing = self.mailing_address_id()
        if mailing:
            ids.add(mailing)
        profile = self.primary_billing_profile()
        if profile and profile.addr_id:
            ids.add(profile.addr_id)
        ids.update(s.addr_id for s in self.rows("statement_profile") if s.addr_id)
        return frozenset(ids)

    def unanswered(self) -> list[str]:
        return sorted(
            [f"contact {c}" for c in self.referenced_contacts() if c not in self.contacts]
            + [f"address {a}" for a in self.referenced_addresses() if a not in self.addresses]
        )

    def missing_parts(self, *, person: bool) -> list[str]:
        """Why a create must wait (R7): the required parts that are not here yet.

        `person`: the customer is a person (residential), named by its primary contact; a
        business is named by the account itself.
        """
        if self.account is None:
            return ["account row"]
        missing = []
        primary = self.contacts.get(self.account.pr_con_id) if self.account.pr_con_id else None
        if person and primary is None:
            missing.append("primary contact (name of a residential customer)")
        mailing = self.mailing_address_id()
        if mailing is None or self.addresses.get(mailing) is None:
            missing.append("mailing address")
        profile_id = self.account.pr_bill_prfl_id
        if self.primary_billing_profile() is None:
            missing.append(
                f"billing profile {profile_id} (PR_BILL_PRFL_ID)"
                if profile_id
                else "primary billing profile"
            )
        # a reference answered "no such row" would map to a half-empty part (R7) — a business's
        # primary contact too: it is sent as the business's contact (its own account-person),
        # and its row often comes in the same Siebel transaction as the account's, behind it
        named = self.account.pr_con_id if person else None  # already named above
        missing += [
            f"contact {c} (referenced, no row yet)"
            for c in sorted(self.referenced_contacts())
            if c in self.contacts and self.contacts[c] is None and c != named
        ]
        missing += [
            f"address {a} (referenced, no row yet)"
            for a in sorted(self.referenced_addresses())
            if a in self.addresses and self.addresses[a] is None and a != mailing
        ]
        return missing + [f"answer for {ref}" for ref in self.unanswered()]

    # --- changes ---------------------------------------------------------------------------------
    def with_owned(self, entity: str, row_id: str, row: SiebelRow | None) -> Aggregate:
        rows = dict(self.owned.get(entity, {}))
        if row is None:
            rows.pop(row_id, None)
        else:
            rows[row_id] = row
        return replace(self, owned={**self.owned, entity: rows})

    def with_answer(self, entity: str, ref_id: str, row: SiebelRow | None) -> Aggregate:
        if entity == "contact":
            return replace(self, contacts={**self.contacts, ref_id: row})  # type: ignore[dict-item]
        return replace(self, addresses={**self.addresses, ref_id: row})  # type: ignore[dict-item]

    def position(self, entity: str, row_id: str) -> int | None:
        return self.positions.get(row_key(entity, row_id))

    def with_position(self, entity: str, row_id: str, source: SourcePosition | None) -> Aggregate:
        return replace(self, positions=with_position(self.positions, entity, row_id, source))

    def pruned(self) -> Aggregate:
        """Drop answers nobody references any more (unsubscribed)."""
        contacts, addresses = self.referenced_contacts(), self.referenced_addresses()
        kept = {row_key("contact", c) for c in contacts} | {
            row_key("address", a) for a in addresses
        }
        return replace(
            self,
            contacts={k: v for k, v in self.contacts.items() if k in contacts},
            addresses={k: v for k, v in self.addresses.items() if k in addresses},
            positions={
                k: v
                for k, v in self.positions.items()
                if k in kept or k.partition("/")[0] not in SHARED
            },
        )

    # --- persistence (table values are JSON) -----------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account.to_json() if self.account else None,
            "owned": {
                e: {k: r.to_json() for k, r in rows.items()} for e, rows in self.owned.items()
            },
            "contacts": {k: v.to_json() if v else None for k, v in self.contacts.items()},
            "addresses": {k: v.to_json() if v else None for k, v in self.addresses.items()},
            "positions": dict(self.positions),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Aggregate:
        return cls(
            account=Account.from_json(data["account"]) if data.get("account") else None,
            owned={
                e: {k: OWNED[e].from_json(r) for k, r in rows.items()}
                for e, rows in data.get("owned", {}).items()
            },
            contacts={
                k: Contact.from_json(v) if v else None for k, v in data.get("contacts", {}).items()
            },
            addresses={
                k: Address.from_json(v) if v else None for k, v in data.get("addresses", {}).items()
            },
            positions={k: int(v) for k, v in data.get("positions", {}).items()},
        )
